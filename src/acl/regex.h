#pragma once
// The PCRE2 wrapper is public (health checks use it too): include/portero/acl/regex.h.
#include "portero/acl/regex.h"
