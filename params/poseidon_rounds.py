# Port of the Poseidon paper's calc_round_numbers.py (sat_inequiv_alpha incl. eprint 2023/537 term)
from math import log, ceil, floor, lgamma, inf
def log2binom(n, k):
    return (lgamma(n+1)-lgamma(k+1)-lgamma(n-k+1))/log(2)
def sat(p_bits, t, R_F, R_P, alpha, M):
    n = p_bits
    R_F_1 = 6 if M <= ((floor(p_bits - ((alpha-1)/2.0))) * (t + 1)) else 10
    R_F_2 = 1 + ceil(log(2, alpha) * min(M, n)) + ceil(log(t, alpha)) - R_P
    R_F_3 = (log(2, alpha) * min(M, p_bits)) - R_P
    R_F_4 = t - 1 + log(2, alpha) * min(M / float(t + 1), p_bits / 2.0) - R_P
    R_F_5 = (t - 2 + (M / float(2 * log(alpha, 2))) - R_P) / float(t - 1)
    R_F_max = max(ceil(R_F_1), ceil(R_F_2), ceil(R_F_3), ceil(R_F_4), ceil(R_F_5))
    r_temp = floor(t / 3.0)
    over = (R_F - 1) * t + R_P + r_temp + r_temp * (R_F / 2.0) + R_P + alpha
    under = r_temp * (R_F / 2.0) + R_P + alpha
    cost_gb4 = ceil(2 * log2binom(over, under))
    return R_F >= R_F_max and cost_gb4 >= M
def find(p_bits, t, alpha=5, M=128):
    R_P = R_F = 0; min_cost = inf; max_cost_rf = 0
    for R_P_t in range(1, 500):
        for R_F_t in range(4, 100):
            if R_F_t % 2 == 0 and sat(p_bits, t, R_F_t, R_P_t, alpha, M):
                R_F_t += 2
                R_P_t = int(ceil(float(R_P_t) * 1.075))
                cost = R_F_t * t + R_P_t
                if cost < min_cost or (cost == min_cost and R_F_t < max_cost_rf):
                    R_P, R_F, min_cost, max_cost_rf = ceil(R_P_t), ceil(R_F_t), cost, R_F_t
    return R_F, R_P
for t in range(2, 14):
    print(t, find(255, t), find(254, t))
def sat_old(p_bits, t, R_F, R_P, alpha, M):
    n = p_bits
    R_F_1 = 6 if M <= ((floor(p_bits - ((alpha-1)/2.0))) * (t + 1)) else 10
    R_F_2 = 1 + ceil(log(2, alpha) * min(M, n)) + ceil(log(t, alpha)) - R_P
    R_F_3 = 1 + (log(2, alpha) * min(M/3.0, p_bits/2.0)) - R_P
    R_F_4 = t - 1 + min((log(2, alpha) * M) / float(t+1), ((log(2, alpha)*p_bits) / 2.0)) - R_P
    return R_F >= max(ceil(R_F_1), ceil(R_F_2), ceil(R_F_3), ceil(R_F_4))
sat_new = sat
def find2(s, p_bits, t, alpha=5, M=128):
    global sat
    R_P = R_F = 0; min_cost = inf; max_cost_rf = 0
    for R_P_t in range(1, 500):
        for R_F_t in range(4, 100):
            if R_F_t % 2 == 0 and s(p_bits, t, R_F_t, R_P_t, alpha, M):
                R_F_t += 2
                R_P_t = int(ceil(float(R_P_t) * 1.075))
                cost = R_F_t * t + R_P_t
                if cost < min_cost or (cost == min_cost and R_F_t < max_cost_rf):
                    R_P, R_F, min_cost, max_cost_rf = ceil(R_P_t), ceil(R_F_t), cost, R_F_t
    return R_F, R_P
print("old")
for t in range(2, 14): print(t, find2(sat_old, 255, t))
