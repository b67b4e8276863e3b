# Read by ctest after the test cases of each doctest program are listed (TEST_INCLUDE_FILES): the
# slowest cases, the full-batch trainings of the adder and the finite-difference checks, start
# first. Listed in order they would start last and run alone: under qemu, the aarch64 stage spent
# 260 s of its 400 on Levenberg-Marquardt's case with one core idle.
foreach(program IN ITEMS nn_tests nn_tests_native nn_compiled_tests)
  foreach(test IN LISTS ${program}_TESTS)
    if(test MATCHES "Levenberg-Marquardt trains the 5-bit adder")
      set_tests_properties("${test}" PROPERTIES COST 300) # the longest after resume.sigkill (COST 1000)
    elseif(test MATCHES "trains the 5-bit adder|central finite differences")
      set_tests_properties("${test}" PROPERTIES COST 100)
    endif()
  endforeach()
endforeach()
