// The server slots of the run-time server set and `add server`'s option parser.
#include <doctest/doctest.h>

#include "portero/config/dynamic_server.h"
#include "portero/config/server_list.h"

using namespace portero::config;

TEST_CASE("slot list: sealed capacity, put, retire, reuse") {
  SlotList<int> l;
  l.push_back(1);
  l.push_back(2);
  CHECK(l.size() == 2);
  CHECK(l.live(1));                 // not sealed: every slot is live
  l.seal(4);
  CHECK(l.capacity() == 4);
  const int* first = &l[0];
  CHECK(l.put(2, 3));               // the next slot
  CHECK_FALSE(l.put(4, 9));         // not the next one
  CHECK(l.put(3, 4));
  CHECK_FALSE(l.put(4, 5));         // full
  CHECK(&l[0] == first);            // nothing moved
  CHECK(l.size() == 4);
  l.retire(1);
  CHECK_FALSE(l.live(1));
  CHECK(l.size() == 4);             // the slot stays, marked
  CHECK(l.put(1, 7));
  CHECK(l.live(1));
  CHECK(l[1] == 7);
}

TEST_CASE("add server: options as haproxy 2.6 reads them for a dynamic server") {
  Proxy be;
  be.name = "be";
  be.kind = Proxy::Kind::backend;
  Server s1;
  s1.name = "s1";
  s1.puid = 1;
  be.servers.push_back(s1);
  Server out;
  CHECK(parse_dynamic_server(be, "n1", {"127.0.0.1:80", "weight", "3", "check", "inter", "1s"}, out) == "");
  CHECK(out.weight == 3);
  CHECK(out.check);
  CHECK(out.inter == 1000);
  CHECK(out.disabled);              // disabled unless `enabled`
  CHECK(out.puid == 2);             // the smallest free id
  CHECK(parse_dynamic_server(be, "n1", {"127.0.0.1:80", "enabled"}, out) == "");
  CHECK_FALSE(out.disabled);
  CHECK(parse_dynamic_server(be, "n1", {"127.0.0.1:80", "cookie", "x"}, out) ==
        "'cookie' option is not accepted for dynamic server");
  CHECK(parse_dynamic_server(be, "n1", {"127.0.0.1:80", "weight", "300"}, out) ==
        "weight of server n1 is not within 0 and 256 (300)..");
  CHECK(parse_dynamic_server(be, "n1", {}, out) == "'server' expects <name> and <addr>[:<port>] as arguments.");
  CHECK(parse_dynamic_server(be, "n1", {"127.0.0.1:80", "id", "1"}, out).starts_with("'id' : custom id 1 already used"));
  CHECK(parse_dynamic_server(be, "n1", {"127.0.0.1:80", "ssl", "verify", "none"}, out) != "");
}
