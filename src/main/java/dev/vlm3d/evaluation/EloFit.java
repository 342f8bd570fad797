package dev.vlm3d.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * GPTEval3D's Elo: not an online Elo with a K-factor but the maximum-likelihood Bradley–Terry fit on the Elo scale
 * of GLIDE's appendix A.1, as the benchmark's {@code utils/glide_elo.py} computes it (docs/evaluation.md):
 *
 * <pre>  L(σ) = Σ_{i≠j} A[i][j] · log(1 + 10^((σ_j − σ_i)/C)),   C = 400</pre>
 *
 * where A[i][j] counts the outcomes where i beat j and a draw adds one win to both sides ("win dilation"). Frozen
 * ratings (the anchor at 1000 in a tournament, the published table for a new method) keep their initial values.
 *
 * <p>The reference runs 10,000 full-batch Adam steps (lr 0.1). L is convex in the free ratings, so Newton's method
 * with a backtracking line search reaches the same optimum to machine precision in a few dozen iterations; tests
 * run both and compare. When the optimum is at infinity (a free method that never lost, or never won, against the
 * rest) Newton cannot converge, and the fit falls back to the reference's Adam so the numbers are the ones the
 * benchmark would print.
 */
public final class EloFit {

    public static final double C = 400.0;
    public static final int REFERENCE_ADAM_STEPS = 10_000;
    public static final double REFERENCE_ADAM_LR = 0.1;

    private static final double K = Math.log(10) / C;

    /** One judged comparison: result −1 = m1 won, +1 = m2 won, 0 = draw (the benchmark's encoding). */
    public record Outcome(String m1, String m2, int result) {
        public Outcome {
            if (result < -1 || result > 1) {
                throw new IllegalArgumentException("result must be -1, 0 or 1");
            }
        }
    }

    /** How the optimum was found. */
    public enum Solver {
        NEWTON,
        ADAM
    }

    /**
     * @param ratings    per method, in the order given
     * @param loss       L at the ratings
     * @param gradNorm   max |∂L/∂σ| over the free ratings at the result
     * @param iterations Newton iterations or Adam steps
     */
    public record Result(
            List<String> methods, double[] ratings, double loss, double gradNorm, Solver solver, int iterations) {

        public double rating(String method) {
            int i = methods.indexOf(method);
            if (i < 0) {
                throw new IllegalArgumentException("unknown method " + method);
            }
            return ratings[i];
        }
    }

    private EloFit() {}

    /** A[i][j] = wins of i over j, draws counted as a win for both (win dilation). */
    public static double[][] winMatrix(List<String> methods, List<Outcome> outcomes) {
        int n = methods.size();
        double[][] a = new double[n][n];
        for (Outcome o : outcomes) {
            int i = index(methods, o.m1());
            int j = index(methods, o.m2());
            if (o.result() <= 0) {
                a[i][j] += 1;
            }
            if (o.result() >= 0) {
                a[j][i] += 1;
            }
        }
        return a;
    }

    private static int index(List<String> methods, String m) {
        int i = methods.indexOf(m);
        if (i < 0) {
            throw new IllegalArgumentException("outcome names a method outside the fit: " + m);
        }
        return i;
    }

    public static double loss(double[][] a, double[] r) {
        double l = 0;
        for (int i = 0; i < r.length; i++) {
            for (int j = 0; j < r.length; j++) {
                if (i != j && a[i][j] != 0) {
                    l += a[i][j] * softplus(K * (r[j] - r[i]));
                }
            }
        }
        return l;
    }

    /** ∂L/∂σ. */
    public static double[] gradient(double[][] a, double[] r) {
        double[] g = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            for (int j = 0; j < r.length; j++) {
                if (i != j && a[i][j] != 0) {
                    double s = sigmoid(K * (r[j] - r[i]));
                    g[i] -= a[i][j] * K * s;
                    g[j] += a[i][j] * K * s;
                }
            }
        }
        return g;
    }

    /**
     * The maximum-likelihood ratings.
     *
     * @param init   starting (and, for frozen methods, final) ratings
     * @param frozen which ratings stay at {@code init}; at least one must be frozen (L only sees differences)
     */
    public static Result fit(List<String> methods, double[][] a, double[] init, boolean[] frozen) {
        check(methods, a, init, frozen);
        Result newton = newton(methods, a, init, frozen);
        if (newton != null) {
            return newton;
        }
        return adam(methods, a, init, frozen, REFERENCE_ADAM_STEPS, REFERENCE_ADAM_LR);
    }

    /** Tournament mode: every method starts at 1000 and {@code anchor} stays there. */
    public static Result tournament(List<String> methods, List<Outcome> outcomes, String anchor) {
        double[] init = new double[methods.size()];
        boolean[] frozen = new boolean[methods.size()];
        java.util.Arrays.fill(init, 1000.0);
        frozen[index(methods, anchor)] = true;
        return fit(methods, winMatrix(methods, outcomes), init, frozen);
    }

    /**
     * New-method mode: the published ratings are frozen, the other methods start at 1000 and move.
     *
     * @param published method → frozen rating (the benchmark's config.json scores of one criterion)
     */
    public static Result againstTable(
            java.util.Map<String, Double> published, List<String> newMethods, List<Outcome> outcomes) {
        List<String> methods = new ArrayList<>(published.keySet());
        for (String m : newMethods) {
            if (published.containsKey(m)) {
                throw new IllegalArgumentException(m + " is already in the published table");
            }
            methods.add(m);
        }
        double[] init = new double[methods.size()];
        boolean[] frozen = new boolean[methods.size()];
        for (int i = 0; i < methods.size(); i++) {
            Double p = published.get(methods.get(i));
            init[i] = p != null ? p : 1000.0;
            frozen[i] = p != null;
        }
        return fit(methods, winMatrix(methods, outcomes), init, frozen);
    }

    /** Damped Newton on the free ratings; null when it does not converge (the optimum is at infinity). */
    static Result newton(List<String> methods, double[][] a, double[] init, boolean[] frozen) {
        int n = init.length;
        int[] free = freeIndices(frozen);
        double[] r = init.clone();
        double l = loss(a, r);
        for (int it = 1; it <= 200; it++) {
            double[] g = gradient(a, r);
            double[][] h = hessian(a, r, free);
            double[] rhs = new double[free.length];
            for (int k = 0; k < free.length; k++) {
                rhs[k] = -g[free[k]];
            }
            double[] step = solve(h, rhs);
            if (step == null) {
                return null;
            }
            double t = 1.0;
            double[] next = new double[n];
            double lNext;
            while (true) {
                System.arraycopy(r, 0, next, 0, n);
                for (int k = 0; k < free.length; k++) {
                    next[free[k]] += t * step[k];
                }
                lNext = loss(a, next);
                if (lNext <= l + 1e-12 * Math.max(1, Math.abs(l)) || t < 1e-10) {
                    break;
                }
                t /= 2;
            }
            double moved = 0;
            for (double s : step) {
                moved = Math.max(moved, Math.abs(t * s));
            }
            r = next;
            l = lNext;
            for (double v : r) {
                if (!Double.isFinite(v) || Math.abs(v) > 1e6) {
                    return null;
                }
            }
            if (moved < 1e-9) {
                double gn = freeGradNorm(a, r, free);
                // a finite optimum has a vanishing gradient; creeping towards infinity does not
                return gn < 1e-6 ? new Result(List.copyOf(methods), r, l, gn, Solver.NEWTON, it) : null;
            }
        }
        return null;
    }

    /**
     * The reference's optimizer: torch.optim.Adam (β = 0.9/0.999, ε = 1e-8, no weight decay) on all ratings with the
     * frozen ones' gradient zeroed, full batch, {@code steps} steps.
     */
    public static Result adam(
            List<String> methods, double[][] a, double[] init, boolean[] frozen, int steps, double lr) {
        check(methods, a, init, frozen);
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        int n = init.length;
        double[] r = init.clone();
        double[] m = new double[n];
        double[] v = new double[n];
        for (int t = 1; t <= steps; t++) {
            double[] g = gradient(a, r);
            for (int i = 0; i < n; i++) {
                double gi = frozen[i] ? 0 : g[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                r[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return new Result(
                List.copyOf(methods), r, loss(a, r), freeGradNorm(a, r, freeIndices(frozen)), Solver.ADAM, steps);
    }

    private static void check(List<String> methods, double[][] a, double[] init, boolean[] frozen) {
        int n = methods.size();
        if (a.length != n || init.length != n || frozen.length != n) {
            throw new IllegalArgumentException("methods, matrix, init and frozen must have the same size");
        }
        boolean any = false;
        for (boolean f : frozen) {
            any |= f;
        }
        if (!any) {
            throw new IllegalArgumentException("freeze at least one rating: the likelihood only sees differences");
        }
    }

    private static int[] freeIndices(boolean[] frozen) {
        int count = 0;
        for (boolean f : frozen) {
            count += f ? 0 : 1;
        }
        int[] free = new int[count];
        int k = 0;
        for (int i = 0; i < frozen.length; i++) {
            if (!frozen[i]) {
                free[k++] = i;
            }
        }
        return free;
    }

    private static double freeGradNorm(double[][] a, double[] r, int[] free) {
        double[] g = gradient(a, r);
        double max = 0;
        for (int i : free) {
            max = Math.max(max, Math.abs(g[i]));
        }
        return max;
    }

    /** ∂²L/∂σ² restricted to the free ratings. */
    private static double[][] hessian(double[][] a, double[] r, int[] free) {
        int n = r.length;
        double[][] full = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j && a[i][j] != 0) {
                    double s = sigmoid(K * (r[j] - r[i]));
                    double w = a[i][j] * K * K * s * (1 - s);
                    full[i][i] += w;
                    full[j][j] += w;
                    full[i][j] -= w;
                    full[j][i] -= w;
                }
            }
        }
        double[][] h = new double[free.length][free.length];
        for (int p = 0; p < free.length; p++) {
            for (int q = 0; q < free.length; q++) {
                h[p][q] = full[free[p]][free[q]];
            }
        }
        return h;
    }

    /** Gaussian elimination with partial pivoting; null when the matrix is singular (an unconnected method). */
    private static double[] solve(double[][] m, double[] b) {
        int n = b.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = m[i].clone();
        }
        double[] x = b.clone();
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int i = c + 1; i < n; i++) {
                if (Math.abs(a[i][c]) > Math.abs(a[p][c])) {
                    p = i;
                }
            }
            if (Math.abs(a[p][c]) < 1e-300) {
                return null;
            }
            double[] tr = a[c];
            a[c] = a[p];
            a[p] = tr;
            double tx = x[c];
            x[c] = x[p];
            x[p] = tx;
            for (int i = c + 1; i < n; i++) {
                double f = a[i][c] / a[c][c];
                for (int j = c; j < n; j++) {
                    a[i][j] -= f * a[c][j];
                }
                x[i] -= f * x[c];
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = x[i];
            for (int j = i + 1; j < n; j++) {
                s -= a[i][j] * x[j];
            }
            x[i] = s / a[i][i];
        }
        return x;
    }

    private static double softplus(double x) {
        return x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
