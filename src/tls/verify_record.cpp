#include "portero/tls/verify_record.h"

namespace portero::tls {

int verify_record_index() {
  // The record is owned by the SSL object: freed with it.
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<VerifyRecord*>(ptr); });
  return index;
}

}  // namespace portero::tls
