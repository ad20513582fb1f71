// SPDX-License-Identifier: Apache-2.0
// SYSPLEX.xml reader (placeholder until the schema lands).
#include <zplex/sysplex/catalogue.hpp>
