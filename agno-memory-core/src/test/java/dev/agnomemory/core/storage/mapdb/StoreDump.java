package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Everything a store holds, as text, through the public API only: the same program produced the format-1 fixtures'
 * {@code .dump} files with the format-1 code, so a migrated store must dump to the same text.
 */
final class StoreDump {

    private StoreDump() {
    }

    static String dump(MemoryStorage s, List<String> users) {
        StringBuilder b = new StringBuilder();
        for (Session session : s.sessions(SessionFilter.any())) {
            b.append("session ").append(session).append('\n');
            s.runs(session.key()).forEach(r -> {
                b.append("  run ").append(r.sequence()).append(' ').append(r.runId()).append(' ').append(r.status())
                        .append(' ').append(r.startedAt()).append(' ').append(r.finishedAt()).append(' ')
                        .append(r.error()).append(' ').append(r.metrics()).append('\n');
                for (Message m : r.messages()) {
                    b.append("    ").append(m).append('\n');
                }
            });
        }
        for (String u : users) {
            b.append("memoriesVersion ").append(u).append(' ').append(s.memoriesVersion(u)).append('\n');
            for (UserMemory m : s.memories(u)) {
                b.append("  memory ").append(m).append('\n');
                for (MemoryChange c : s.memoryHistory(u, m.memoryId())) {
                    b.append("    change ").append(c).append('\n');
                }
            }
            for (String id : List.of("mem-1", "mem-2", "mem-3", "mem-4", "dm-1", "dm-2")) {
                List<MemoryChange> h = s.memoryHistory(u, id);
                if (!h.isEmpty() && s.memory(u, id).isEmpty()) {
                    for (MemoryChange c : h) {
                        b.append("  history of deleted ").append(id).append(' ').append(c).append('\n');
                    }
                }
            }
            List<MemoryEmbedding> es = new ArrayList<>(s.memoryEmbeddings(u));
            es.sort(Comparator.comparing(MemoryEmbedding::memoryId));
            for (MemoryEmbedding e : es) {
                b.append("  embedding ").append(e.memoryId()).append(' ').append(e.model()).append(' ')
                        .append(e.memoryText()).append(' ').append(Arrays.toString(e.vector())).append('\n');
            }
        }
        return escape(b.toString());
    }

    /**
     * The dump with the entries of each session's data map sorted: {@code Map.copyOf} iterates in an order that
     * differs from one JVM to the next.
     */
    static String normalized(String dump) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("data=\\{([^}]*)\\}").matcher(dump);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            List<String> entries = new ArrayList<>(List.of(m.group(1).split(", ")));
            entries.sort(null);
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement("data={" + String.join(", ", entries)
                    + "}"));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Non-ASCII and control characters (but newlines) as \\uXXXX, so the dump is plain ASCII. */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || (c >= 0x20 && c < 0x7F)) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04X", (int) c));
            }
        }
        return b.toString();
    }
}
