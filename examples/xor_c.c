/* XOR in plain C99 with the network examples/export_c.cpp trained and exported: no C++, no
 * library, only the generated header and <math.h>. Prints the truth table and "correct: K/4";
 * exits 0 when K == 4. */
#include <stdio.h>

#include "xor_net.h"

int main(void) {
    const float inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    int k, correct = 0;
    printf(" a  b | a^b | output\n");
    for (k = 0; k < 4; ++k) {
        float out[1];
        const int want = (k == 1 || k == 2);
        xor_net_predict(inputs[k], out);
        correct += (out[0] > 0.5f) == want;
        printf(" %d  %d |  %d  | %.4f\n", (int)inputs[k][0], (int)inputs[k][1], want, (double)out[0]);
    }
    printf("correct: %d/4\n", correct);
    return correct == 4 ? 0 : 1;
}
