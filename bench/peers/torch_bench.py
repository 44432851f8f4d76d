#!/usr/bin/env python3
"""PyTorch (CPU, 2 threads) on workloads W4, W6 and W7, with the data, initial weights and rules of
bench/data.mjs and ../shared/peers (the LCG, the shuffle and the Glorot ranges written out again here).

    [QUICK=1] /usr/bin/python3 bench/peers/torch_bench.py [W4,W6,W7] [--w6-budget-s=60]

Logs to stderr; prints one JSON line on stdout, in the format of the JavaScript peers' records
({peer, info, W4: {msPerStep, loss0, loss60}, W6: {...}, W7: {...}}). `npm run bench -- --vs-peers` runs it.
"""
import gzip
import json
import math
import os
import statistics
import sys
import time

# GNU OpenMP's threads spin while they wait; on a 2-core machine shared with other work that makes every
# parallel region wait for a descheduled spinner (W4 measured 48 ms/step instead of 1 ms at load average 6).
# Passive waiting is PyTorch's best here; an OMP_WAIT_POLICY already set is kept. Set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(2)
QUICK = os.environ.get("QUICK", "") not in ("", "0")
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
OPTS = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
WHICH = (ARGS[0] if ARGS else "W4,W6,W7").split(",")

W4_STEPS = 5 if QUICK else 50
ADAM = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
W6 = dict(batch=128, shuffle_seed=6, steps=8 if QUICK else None, test_images=1000 if QUICK else None,
          last_losses=4 if QUICK else 50, budget_s=float(OPTS.get("w6-budget-s", 60)))
W7 = dict(batch=4 if QUICK else 64, warmup=1 if QUICK else 40, timed=2 if QUICK else 20, cap_ms=2000)  # as data.mjs
FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def log(*a):
    print("[torch]", *(json.dumps(x) if isinstance(x, (dict, list)) else x for x in a), file=sys.stderr, flush=True)


def lcg(seed):
    """The peers' LCG in [0, 1): s = (s * 1664525 + 1013904223) mod 2^32, value s / 2^32."""
    s = seed & 0xFFFFFFFF

    def r():
        nonlocal s
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        return s / 4294967296.0

    return r


def rand_array(n, seed, lo=-1.0, hi=1.0):
    """lo + (hi - lo) * r() in double precision, then rounded to float32, as the JS Float32Array store does."""
    r = lcg(seed)
    return np.array([lo + (hi - lo) * r() for _ in range(n)], dtype=np.float64).astype(np.float32)


def permutation(n, seed):
    r = lcg(seed)
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = math.floor(r() * (i + 1))
        p[i], p[j] = p[j], p[i]
    return np.array(p, dtype=np.int64)


def mean(xs):
    return sum(xs) / len(xs)


def now_ms():
    return time.perf_counter() * 1000.0


def t(a, *shape, grad=False):
    x = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).reshape(*shape).clone()
    return x.requires_grad_(grad)


# ----------------------------------------------------------------------------------------------------- W4
def w4():
    batch, inp, hid, out, lr = 128, 784, 256, 10, 0.1
    X = t(rand_array(batch * inp, 1, 0, 1), batch, inp)
    labels = torch.tensor([(7 * i) % out for i in range(batch)], dtype=torch.int64)
    s1, s2 = math.sqrt(6 / (inp + hid)), math.sqrt(6 / (hid + out))
    P = [t(rand_array(inp * hid, 2, -s1, s1), inp, hid, grad=True), torch.zeros(hid, requires_grad=True),
         t(rand_array(hid * out, 3, -s2, s2), hid, out, grad=True), torch.zeros(out, requires_grad=True)]

    def step():
        W1, b1, W2, b2 = P
        loss = F.cross_entropy(torch.relu(X @ W1 + b1) @ W2 + b2, labels)
        grads = torch.autograd.grad(loss, P)
        with torch.no_grad():
            for p, g in zip(P, grads):
                p.sub_(g, alpha=lr)
        return loss.item()

    losses = [step() for _ in range(10)]
    ts = []
    for _ in range(W4_STEPS):
        t0 = now_ms()
        losses.append(step())
        ts.append(now_ms() - t0)
    r = dict(msPerStep=statistics.median(ts), loss0=losses[0], loss60=losses[-1])
    log("W4", r)
    return r


# ----------------------------------------------------------------------------------------------------- W6
def read_idx(name):
    with gzip.open(os.path.join(FASHION_DIR, name), "rb") as f:
        b = f.read()
    assert b[0] == 0 and b[1] == 0 and b[2] == 8, name
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def w6():
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz"]
    missing = [n for n in names if not os.path.exists(os.path.join(FASHION_DIR, n))]
    if missing:
        why = f"Fashion-MNIST not found in {FASHION_DIR} (missing {', '.join(missing)})"
        log("W6 skipped:", why)
        return dict(skipped=why)
    ti, tl, vi, vl = (read_idx(n) for n in names)
    # byte / 255 in double, then float32: the same values as the JS runner's Float32Array
    Xtrain = torch.from_numpy((ti.reshape(-1, 784).astype(np.float64) / 255).astype(np.float32))
    Ytrain = torch.from_numpy(tl.astype(np.int64))
    n, batch, inp, hid, out = Xtrain.shape[0], W6["batch"], 784, 256, 10
    steps = W6["steps"] or math.ceil(n / batch)
    perm = torch.from_numpy(permutation(n, W6["shuffle_seed"]))
    s1, s2 = math.sqrt(6 / (inp + hid)), math.sqrt(6 / (hid + out))
    P = [t(rand_array(inp * hid, 2, -s1, s1), inp, hid, grad=True), torch.zeros(hid, requires_grad=True),
         t(rand_array(hid * out, 3, -s2, s2), hid, out, grad=True), torch.zeros(out, requires_grad=True)]
    opt = torch.optim.Adam(P, **ADAM)

    def forward(X):
        W1, b1, W2, b2 = P
        return torch.relu(X @ W1 + b1) @ W2 + b2

    losses, ts, capped = [], [], None
    budget = W6["budget_s"] * 1000
    t0 = now_ms()
    for s in range(steps):
        ta = now_ms()
        idx = perm[s * batch: (s + 1) * batch]
        X, Y = Xtrain[idx], Ytrain[idx]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(forward(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        ts.append(now_ms() - ta)
        if s == 2 and steps > 3 and mean(ts[1:3]) * steps > budget:
            capped = f"projected epoch {mean(ts[1:3]) * steps / 1000:.0f} s > {budget / 1000:.0f} s budget: stopped after 3 steps"
            break
    wall = now_ms() - t0
    r = dict(steps=steps, stepsDone=len(losses), batch=batch, projected=bool(capped),
             epochMs=mean(ts[1:3]) * steps if capped else wall, msPerStep=mean(ts[1:3]) if capped else wall / steps,
             medianMsPerStep=statistics.median(ts[1:]), loss0=losses[0], loss1=losses[1], loss2=losses[2],
             losses={str(i): losses[i] for i in sorted({0, 1, 2, 10, 100, 200, 300, 400, steps - 1}) if i < len(losses)})
    if capped:
        r["capped"] = capped
    else:
        last = losses[-W6["last_losses"]:]
        r["finalLoss"], r["finalLossSteps"] = mean(last), len(last)
        n_test = W6["test_images"] or vi.shape[0]
        Xtest = torch.from_numpy((vi.reshape(-1, 784)[:n_test].astype(np.float64) / 255).astype(np.float32))
        with torch.no_grad():
            pred = forward(Xtest).argmax(1).numpy()
        r["testImages"], r["testAccuracy"] = n_test, float((pred == vl[:n_test]).mean())
    log("W6", r)
    return r


# ----------------------------------------------------------------------------------------------------- W7
def w7():
    batch, size, c1, c2, k, out = W7["batch"], 28, 16, 32, 5, 10
    flat = (size // 4) * (size // 4) * c2
    glorot = lambda fi, fo: math.sqrt(6 / (fi + fo))  # noqa: E731
    s1, s2, s3 = glorot(k * k, k * k * c1), glorot(k * k * c1, k * k * c2), glorot(flat, out)
    X = t(rand_array(batch * size * size, 11, 0, 1), batch, 1, size, size)  # NCHW; one channel: same values as NHWC
    labels = torch.tensor([(7 * i) % out for i in range(batch)], dtype=torch.int64)
    # HWIO values from the LCG (as the JS libraries), permuted to PyTorch's OIHW
    K1 = t(rand_array(k * k * c1, 12, -s1, s1).reshape(k, k, 1, c1).transpose(3, 2, 0, 1), c1, 1, k, k, grad=True)
    K2 = t(rand_array(k * k * c1 * c2, 13, -s2, s2).reshape(k, k, c1, c2).transpose(3, 2, 0, 1), c2, c1, k, k, grad=True)
    Wd = t(rand_array(flat * out, 14, -s3, s3), flat, out, grad=True)
    bd = torch.zeros(out, requires_grad=True)
    opt = torch.optim.Adam([K1, K2, Wd, bd], **ADAM)

    def step():
        opt.zero_grad(set_to_none=True)
        h = F.max_pool2d(torch.relu(F.conv2d(X, K1, padding=2)), 2, 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, K2, padding=2)), 2, 2)
        h = h.permute(0, 2, 3, 1).reshape(batch, flat)  # NHWC flattening, as the dense weights' rows
        loss = F.cross_entropy(h @ Wd + bd, labels)
        loss.backward()
        opt.step()
        return loss.item()

    losses, ts, capped = [], [], None
    for s in range(W7["warmup"] + W7["timed"]):
        ta = now_ms()
        losses.append(step())
        ts.append(now_ms() - ta)
        if s == 2 and W7["warmup"] >= 3 and mean(ts[1:3]) > W7["cap_ms"]:
            capped = f"steps 1-2 took {mean(ts[1:3]):.0f} ms > {W7['cap_ms']} ms: stopped after 3 steps"
            break
    timed = ts[1:3] if capped else ts[W7["warmup"]:]
    r = dict(batch=batch, msPerStep=statistics.median(timed), timedSteps=len(timed), firstStepMs=ts[0],
             loss0=losses[0], loss1=losses[1], loss2=losses[2], lastStep=len(losses) - 1, lossLast=losses[-1])
    if capped:
        r["capped"] = capped
    log("W7", r)
    return r


def main():
    # which BLAS the process really loaded (Debian's torch uses libblas.so.3: reference BLAS or OpenBLAS,
    # whichever update-alternatives selects; OpenBLAS is 10-50x faster on W4 and W6), after one matmul
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if "blas" in ln.lower() and "/" in ln})
        real = [os.path.realpath(x) for x in libs]
        blas = ", ".join(("reference BLAS " if "/blas/libblas" in x else "") + x for x in real) or "?"
    except OSError:
        blas = "?"
    res = dict(peer="torch", date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), quick=QUICK,
               info=f"PyTorch {torch.__version__} (CPU, {torch.get_num_threads()} threads, BLAS {blas}; "
                    f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; Python {sys.version.split()[0]} at {sys.executable})")
    log(res["info"])
    for w, fn in (("W4", w4), ("W6", w6), ("W7", w7)):
        if w in WHICH:
            try:
                res[w] = fn()
            except Exception as e:  # noqa: BLE001
                log(w, "failed:", repr(e))
                res[w] = dict(error=repr(e)[:300])
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
