#pragma once
// What every fuzz target shares: a private temporary directory, made current, holding
// certificates generated at start with OpenSSL's API (nothing secret is committed), so that
// configs written by the fuzzer or by the targets can name them with short relative paths:
//   rsa.pem   RSA-2048, CN a.test, SAN a.test *.w.test        (key in the same file)
//   ec.pem    P-256,    CN a.test, SAN a.test                 (key in the same file)
//   d.pem     P-256,    CN d.test                             (key in the same file)
//   split.pem P-256 certificate of CN s.test, its key in split.pem.key
//   ca.pem    a certificate only (rsa.pem's), for ca-file / crl-file paths
//   keys.txt  three valid tls-ticket-keys lines
//   list.crtlist a small crt-list naming the files above
// The directory ($TMPDIR or /tmp) is removed at a normal exit; scripts/fuzz points TMPDIR
// into its work directory, so one left by a crash goes with it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fuzzenv {

// Creates the directory and its files once (idempotent) and chdir()s into it.
const std::string& dir();
// Writes `data` to `name` inside dir(); returns the full path.
std::string write_file(const std::string& name, std::string_view data);
// A fixed, valid config of one `bind ... ssl` frontend (mode tcp) over the files above, with
// payload ACLs: the context behind `fuzz_client_hello` and `fuzz_tls_transport`.
std::string tls_frontend_config();

}  // namespace fuzzenv
