# The independent reference of test_rng.cpp for the default starting network: splitmix64 seeding, xoshiro256**,
# and uniform = fma(high - low, unit, low) rounded once, computed with exact rationals.
from fractions import Fraction
import math, struct
M=(1<<64)-1
def rotl(x,k): return ((x<<k)|(x>>(64-k)))&M
class Rng:
    def __init__(s,seed):
        s.s=[]
        for _ in range(4):
            seed=(seed+0x9e3779b97f4a7c15)&M
            z=seed; z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M; z=((z^(z>>27))*0x94d049bb133111eb)&M
            s.s.append(z^(z>>31))
    def next(s):
        st=s.s; r=(rotl((st[1]*5)&M,7)*9)&M; t=(st[1]<<17)&M
        st[2]^=st[0]; st[3]^=st[1]; st[1]^=st[2]; st[0]^=st[3]; st[2]^=t; st[3]=rotl(st[3],45); return r
def round_to(q, mant_bits, emin):
    # q a Fraction; round to nearest even with mant_bits significant bits (normal numbers only here)
    if q==0: return Fraction(0)
    sign=-1 if q<0 else 1; q=abs(q)
    e=math.floor(math.log2(q.numerator)-math.log2(q.denominator))
    while Fraction(2)**e>q: e-=1
    while Fraction(2)**(e+1)<=q: e+=1
    scale=Fraction(2)**(mant_bits-1-e)
    v=q*scale; n=v.numerator//v.denominator; rem=v-n
    if rem>Fraction(1,2) or (rem==Fraction(1,2) and n%2==1): n+=1
    return sign*Fraction(n)/scale
def to_T(x,single): return round_to(Fraction(x), 24 if single else 53, 0)
def uniform(rng,low,high,single):
    bits=24 if single else 53
    unit=Fraction(rng.next()>>(64-bits), 1<<bits)
    diff=to_T(high-low,single)
    return round_to(diff*unit+low, 24 if single else 53, 0)
def init(arch, acts, single, seed=0):
    rng=Rng(seed); out=[]
    for l in range(len(arch)-1):
        he = acts[l] in ('relu','leaky_relu')
        fan = arch[l] if he else arch[l]+arch[l+1]
        lim = to_T(Fraction(math.sqrt(6.0/fan)), single)  # sqrt in double (correctly rounded), then to T
        for _ in range(arch[l]*arch[l+1]): out.append(uniform(rng,-lim,lim,single))
        out += [Fraction(0)]*arch[l+1]
    return out
def hexf(q,single):
    f=float(q)  # exact: q is representable
    return f.hex() + ('f' if single else '')
for single in (True, False):
    vals=init([3,4,2],['relu','sigmoid'],single)
    print(('float' if single else 'double'), ', '.join(hexf(v,single) for v in vals))
