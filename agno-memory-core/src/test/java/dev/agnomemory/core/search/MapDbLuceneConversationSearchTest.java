package dev.agnomemory.core.search;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.testing.TickingClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** The conversation search over a MapDB file, with a Lucene index in a directory. */
class MapDbLuceneConversationSearchTest extends ConversationSearchContractTest {

    @TempDir
    static Path root;
    private static int tests;
    private final Path dir = root.resolve("t" + ++tests);
    private final TickingClock clock = new TickingClock();

    @Override
    protected MemoryStorage openStorage() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return MapDbStorage.builder().file(dir.resolve("store.db")).clock(clock).build();
    }

    @Override
    protected ConversationIndex openIndex(TextEmbedder embedder) {
        return LuceneConversationIndex.builder().directory(dir.resolve("index")).embedder(embedder).build();
    }

    @Override
    protected boolean indexFilesContain(String text) {
        try (Stream<Path> files = Files.walk(dir.resolve("index"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                // ISO-8859-1 maps each byte to one char, so this is a byte search for the (ASCII) text.
                if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(text)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
