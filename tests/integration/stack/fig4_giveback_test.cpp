// SPDX-License-Identifier: Apache-2.0
#include "stack_sim.hpp"
#include <gtest/gtest.h>
