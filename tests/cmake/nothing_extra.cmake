# Fails when nn, added to this project as a subproject, built targets of its own (tests, examples,
# benchmarks): a consumer gets the library and nothing else. `how` says how nn was added.
function(nn_check_nothing_extra how)
  foreach(target nn_tests xor bench_network)
    if(TARGET ${target})
      message(FATAL_ERROR "nn built its own target ${target} ${how}; it should build nothing extra")
    endif()
  endforeach()
endfunction()
