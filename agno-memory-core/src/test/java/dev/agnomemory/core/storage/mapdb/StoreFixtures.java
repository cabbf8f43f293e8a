package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** For the storage tests: stores with known runs, their files, and crash images of open stores. */
final class StoreFixtures {

    static final SessionKey KEY = SessionKey.of("alice", "s1");

    private StoreFixtures() {
    }

    static void writeRun(MapDbStorage s, SessionKey key, int i) {
        s.appendMessage(key, "r" + i, Message.user("question " + i));
        s.appendMessage(key, "r" + i, Message.assistant("answer " + i));
        s.completeRun(key, "r" + i);
    }

    /** A closed store at {@code file} with runs {@code r0..r(runs-1)} in {@link #KEY}. */
    static void writeRuns(Path file, int runs) {
        try (MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(5).build()) {
            s.getOrCreateSession(KEY, null);
            for (int i = 0; i < runs; i++) {
                writeRun(s, KEY, i);
            }
        }
    }

    static void assertRuns(MapDbStorage s, int runs) {
        assertRuns(s, KEY, runs);
    }

    static void assertRuns(MapDbStorage s, SessionKey key, int runs) {
        List<Run> all = s.runs(key).toList();
        assertThat(all).hasSize(runs);
        for (int i = 0; i < runs; i++) {
            assertThat(all.get(i).runId()).isEqualTo("r" + i);
            assertThat(all.get(i).messages()).extracting(Message::content)
                    .containsExactly("question " + i, "answer " + i);
        }
    }

    /** The journal segment files of the store at {@code file}, in order. */
    static List<Path> segments(Path file) {
        StoreFiles files = StoreFiles.of(file);
        return files.segmentNumbers().stream().map(files::segment).toList();
    }

    static Path lastSegment(Path file) {
        List<Path> s = segments(file);
        return s.get(s.size() - 1);
    }

    /**
     * What a crash would leave of an open store: its files as they are on disk now, copied into {@code target}
     * (the lock file aside). The store must be idle (no write, checkpoint or compaction in progress).
     *
     * @return the copy's store file
     */
    static Path crashImage(Path file, Path target) {
        try {
            Files.createDirectories(target);
            String name = file.getFileName().toString();
            try (Stream<Path> list = Files.list(file.getParent())) {
                for (Path p : list.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(name) && !n.endsWith(".lock")) {
                        Files.copy(p, target.resolve(n));
                    }
                }
            }
            return target.resolve(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file of the directory with its bytes, to show nothing was changed. */
    static Map<String, byte[]> snapshot(Path dir) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".lock")) {
                    out.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static void assertUnchanged(Path dir, Map<String, byte[]> before) {
        Map<String, byte[]> after = snapshot(dir);
        assertThat(after.keySet()).as("files of " + dir).containsExactlyElementsOf(before.keySet());
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            assertThat(after.get(e.getKey())).as("bytes of " + e.getKey()).isEqualTo(e.getValue());
        }
    }

    /** Whether any file in {@code dir} contains {@code text} as UTF-8. */
    static boolean filesContain(Path dir, String text) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(p);
                } catch (java.nio.file.NoSuchFileException e) {
                    continue; // a file of an open store that went away meanwhile (MapDB's log after a commit)
                }
                if (indexOf(bytes, needle) >= 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return false;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static List<String> names(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return new ArrayList<>(list.map(p -> p.getFileName().toString()).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
