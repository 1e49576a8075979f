package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The simplest beam search, for checking the real one: every beam has its own KV cache, copied in
 * full when a beam is continued, and runs one token at a time; log-probabilities in double from
 * scratch. Same rules as transformers' beam search: the best 2B (beam, token) continuations by
 * summed log-probability (ties: lower beam, then lower token); an end-of-generation continuation
 * among the best B finishes a sequence of length+1; B others become the beams; stop when B have
 * finished and (early stopping, or the best candidate's score over length^lp cannot beat the worst
 * finished); at the limit the running beams are finished sequences too.
 */
final class ReferenceBeamSearch {
    record Result(int[] tokens, double score) {
    }

    private record Beam(int[] tokens, double logProb, KvCache cache, float[] logits) {
    }

    private record Finished(int[] tokens, double score) {
    }

    private ReferenceBeamSearch() {
    }

    static Result run(ForwardPass model, int[] prompt, int maxNew, BeamParams params, IntPredicate endsGeneration) {
        int vocab = model.config().vocabSize();
        int b = params.beams();
        KvCache first = model.newCache(KvCacheType.F32, prompt.length + maxNew);
        float[] logits = new float[vocab];
        model.forward(first, prompt, 0, prompt.length, 0, logits, false);
        List<Beam> beams = List.of(new Beam(new int[0], 0, first, logits));
        List<Finished> finished = new ArrayList<>();
        for (int length = 1; ; length++) {
            List<double[]> cands = new ArrayList<>(); // {score, beam, token}: each beam's best 2B, then sorted
            for (int i = 0; i < beams.size(); i++) {
                double[] lsm = logSoftmax(beams.get(i).logits());
                boolean[] taken = new boolean[vocab];
                for (int n = 0; n < 2 * b; n++) {
                    int best = -1;
                    for (int v = 0; v < vocab; v++) {
                        if (!taken[v] && (best < 0 || lsm[v] > lsm[best])) {
                            best = v;
                        }
                    }
                    taken[best] = true;
                    cands.add(new double[] {beams.get(i).logProb() + lsm[best], i, best});
                }
            }
            cands.sort((x, y) -> x[0] != y[0] ? Double.compare(y[0], x[0])
                    : x[1] != y[1] ? Double.compare(x[1], y[1]) : Double.compare(x[2], y[2]));
            List<double[]> chosen = new ArrayList<>();
            for (int rank = 0; rank < 2 * b && chosen.size() < b; rank++) {
                double[] c = cands.get(rank);
                Beam parent = beams.get((int) c[1]);
                if (endsGeneration.test((int) c[2])) {
                    if (rank < b) {
                        add(finished, parent.tokens(), c[0] / Math.pow(length, params.lengthPenalty()), b);
                    }
                } else {
                    chosen.add(c);
                }
            }
            boolean done = finished.size() >= b && (params.earlyStopping()
                    || worst(finished) >= cands.get(0)[0] / Math.pow(length, params.lengthPenalty()));
            if (!done && length == maxNew) {
                for (double[] c : chosen) {
                    int[] t = Arrays.copyOf(beams.get((int) c[1]).tokens(), length);
                    t[length - 1] = (int) c[2];
                    add(finished, t, c[0] / Math.pow(length, params.lengthPenalty()), b);
                }
            }
            if (done || length == maxNew) {
                Finished best = finished.getFirst();
                for (Finished f : finished) {
                    if (f.score() > best.score()) {
                        best = f;
                    }
                }
                return new Result(best.tokens(), best.score());
            }
            List<Beam> next = new ArrayList<>();
            for (double[] c : chosen) {
                Beam parent = beams.get((int) c[1]);
                int[] t = Arrays.copyOf(parent.tokens(), length);
                t[length - 1] = (int) c[2];
                KvCache cache = parent.cache().copy(); // the full copy the indirect cache avoids
                float[] l = new float[vocab];
                model.forward(cache, t, length - 1, 1, prompt.length + length - 1, l, false);
                next.add(new Beam(t, c[0], cache, l));
            }
            beams = next;
        }
    }

    private static void add(List<Finished> finished, int[] tokens, double score, int b) {
        if (finished.size() < b || score > worst(finished)) {
            finished.add(new Finished(tokens, score));
            if (finished.size() > b) {
                Finished w = finished.getFirst();
                for (Finished f : finished) {
                    if (f.score() < w.score()) {
                        w = f;
                    }
                }
                finished.remove(w);
            }
        }
    }

    private static double worst(List<Finished> finished) {
        return finished.stream().mapToDouble(Finished::score).min().orElseThrow();
    }

    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }
}
