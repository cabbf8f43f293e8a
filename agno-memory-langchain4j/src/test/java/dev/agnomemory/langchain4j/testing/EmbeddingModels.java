package dev.agnomemory.langchain4j.testing;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** Embedding models for tests: the real in-process MiniLM (loaded once per JVM), and small stand-ins. */
public final class EmbeddingModels {

    private EmbeddingModels() {
    }

    /** @return the real all-MiniLM-L6-v2, shared by all tests (loading it is the expensive part) */
    public static EmbeddingModel miniLm() {
        return MiniLm.INSTANCE;
    }

    private static final class MiniLm {
        static final EmbeddingModel INSTANCE = new AllMiniLmL6V2EmbeddingModel();
    }

    /** A cheap deterministic model: a pseudo-random 64-dimensional vector per text. */
    public static final class HashEmbeddingModel implements EmbeddingModel {
        private final String name;

        public HashEmbeddingModel(String name) {
            this.name = name;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            return Response.from(segments.stream().map(s -> {
                Random random = new Random(s.text().hashCode());
                float[] v = new float[64];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                return Embedding.from(v);
            }).toList());
        }

        @Override
        public String modelName() {
            return name;
        }
    }

    /** A decorator that records every text it embeds, and can be switched to fail. */
    public static final class CountingEmbeddingModel implements EmbeddingModel {
        private final EmbeddingModel delegate;
        private final List<String> texts = new CopyOnWriteArrayList<>();
        private final AtomicBoolean failing = new AtomicBoolean();

        public CountingEmbeddingModel(EmbeddingModel delegate) {
            this.delegate = delegate;
        }

        /** All single and batch calls of the default methods end here. */
        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            if (failing.get()) {
                throw new IllegalStateException("the embedding service is down");
            }
            segments.forEach(s -> texts.add(s.text()));
            return delegate.embedAll(segments);
        }

        @Override
        public int dimension() {
            return delegate.dimension();
        }

        /** @param fail whether every call fails from now on */
        public void failing(boolean fail) {
            failing.set(fail);
        }

        /** @return how many texts were embedded so far */
        public int count() {
            return texts.size();
        }

        /** @return the texts embedded so far, in order */
        public List<String> texts() {
            return List.copyOf(texts);
        }

        public void reset() {
            texts.clear();
        }
    }
}
