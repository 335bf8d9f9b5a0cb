"""A queued request whose client leaves before a slot frees. Issue 3 asks portero to drop it
(the origin never sees it); HAProxy 2.6 forwards it anyway (the client side of a complete,
queued request is not watched: even after an RST, even with `option abortonclose`). The test
asserts HAProxy's behaviour against haproxy and the issue's against portero (a deliberate
difference, see README.md)."""

import unittest

from harness import wait_until
import test_queue

_Base = test_queue.QueueTest


class QueueAbortTest(_Base):
    def test_queued_request_whose_client_left(self):
        o = self.setup_be()
        a = self.send('/delay/700')
        self.assertTrue(o.wait_requests(1))
        gone = self.send('/gone')
        c = self.send('/c')
        self.assertFalse(wait_until(lambda: o.request_count() > 1, 0.2))
        gone.close(rst=True)
        self.assertEqual(a.wait().status, 200)
        self.assertEqual(c.wait().status, 200)
        self.assertTrue(wait_until(lambda: '/c' in self.targets(o), 3))
        if self.IS_HAPROXY:
            # HAProxy 2.6 does not watch a client whose request is complete and queued: the
            # request is forwarded anyway (even after an RST, even with option abortonclose)
            self.assertEqual(self.targets(o), ['/delay/700', '/gone', '/c'])
        else:
            # deliberate difference (issue 3): portero drops it, the origin never sees it
            self.assertEqual(self.targets(o), ['/delay/700', '/c'])



# only the test above belongs to this file
for _name in [n for n in dir(_Base) if n.startswith('test_')]:
    if _name != 'test_queued_request_whose_client_left':
        setattr(QueueAbortTest, _name, None)
del _Base, _name  # the loader must not collect the base class from this module

if __name__ == '__main__':
    unittest.main()
