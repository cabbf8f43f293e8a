package dev.agnomemory.core.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic stand-in for an embedding model in the core's tests (the core has no model): each lower-cased
 * word adds 1 to the dimension its hash picks, so texts that share words have close vectors. Counts what it embeds.
 */
class HashingEmbedder implements TextEmbedder {

    private final String modelId;
    private final int dimensions;
    final AtomicInteger texts = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();

    HashingEmbedder(String modelId, int dimensions) {
        this.modelId = modelId;
        this.dimensions = dimensions;
    }

    HashingEmbedder() {
        this("hashing-64", 64);
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    @Override
    public List<float[]> embedAll(List<String> batch) {
        calls.incrementAndGet();
        texts.addAndGet(batch.size());
        List<float[]> out = new ArrayList<>(batch.size());
        for (String text : batch) {
            float[] v = new float[dimensions];
            v[0] = 0.01f; // never the zero vector
            for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
                if (!word.isEmpty()) {
                    v[Math.floorMod(word.hashCode(), dimensions)] += 1;
                }
            }
            out.add(v);
        }
        return out;
    }

    void reset() {
        texts.set(0);
        calls.set(0);
    }
}
