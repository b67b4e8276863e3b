#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

// Under AddressSanitizer, an allocation too large to make returns null as it does without it (the
// tests check nn::Error's message for one), instead of ending the program.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
