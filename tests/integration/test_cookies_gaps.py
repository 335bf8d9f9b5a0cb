"""Cookie persistence cases where portero differs from haproxy 2.6.12 (not registered in CMake
until they pass). The cases, the config and the comparison are those of test_cookies.py; this
file runs only the cases listed in test_cookies.GAPS. Against haproxy they all pass:
    PROXY_BIN=/usr/sbin/haproxy python3 -m unittest -v test_cookies_gaps.py
"""

import unittest

import test_cookies
from test_cookies import GAPS


class DiffCookieGaps(test_cookies.DiffCookies):
    CASE_FILTER = staticmethod(lambda c: c.name in GAPS)


del test_cookies   # keep unittest from collecting the registered tests here too

if __name__ == '__main__':
    unittest.main()
