package dev.agnomemory.examples.bench;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.AgnoChatMemoryProvider;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Heap held for sessions that had one call each: many distinct sessions (100,000; 20,000 quick), one AI service
 * call each through the real {@code AiServices} with an in-process model that answers at once, then the heap
 * measured after collection while the service is still reachable.
 *
 * <ul>
 *   <li><b>agno-memory</b>: the service with {@code AgnoChatMemoryProvider.attachTo} on a MapDB store. What is
 *       counted is what the adapter and LangChain4j's service keep for the sessions: heap with the service
 *       reachable, minus heap after dropping service and provider (the store stays open, so its own caches are not
 *       counted).</li>
 *   <li><b>baseline</b>: the same service with LangChain4j's {@code MessageWindowChatMemory} (20 messages) over its
 *       default in-memory store, per memory id: heap with the service reachable minus heap before it.</li>
 * </ul>
 * Target: the adapter holds at most {@value #BOUND_MB} MB for 100,000 sessions (bounded by its session cache:
 * LangChain4j's service keeps one small handle per memory id, the adapter a bounded number of sessions' windows).
 */
public final class SessionHeapBenchmark {

    static final int BOUND_MB = 48;

    interface Assistant {
        @SystemMessage("You are a benchmark assistant.")
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    /** Answers every request at once, like a model that is instant. */
    private static final class InstantModel implements ChatModel {
        @Override
        public ChatResponse doChat(ChatRequest request) {
            return ChatResponse.builder().aiMessage(AiMessage.from("Noted; I will keep that in mind.")).build();
        }
    }

    private SessionHeapBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Boolean.getBoolean("bench.quick");
        int sessions = quick ? 20_000 : 100_000;
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = Files.createTempDirectory(base, "session-heap-bench");
        try {
            long agno = agnoRetained(dir.resolve("heap.db"), sessions);
            long baseline = baselineRetained(sessions);
            System.out.println();
            System.out.printf("Heap held after %,d distinct sessions had one call each (real AiServices, instant "
                    + "model)%n", sessions);
            System.out.printf("%-58s %12s %14s %8s%n", "", "MB", "bytes/session", "ratio");
            row("agno-memory provider (window cache: 10,000 sessions)", agno, sessions, agno);
            row("baseline: MessageWindowChatMemory + in-memory store", baseline, sessions, agno);
            System.out.printf("%ntarget: agno-memory holds at most %d MB for up to 100,000 sessions: %.1f MB -> %s%n",
                    BOUND_MB, mb(agno), mb(agno) <= BOUND_MB ? "PASS" : "FAIL");
        } finally {
            deleteTree(dir);
        }
    }

    private static long agnoRetained(Path file, int sessions) {
        try (MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(50_000).build()) {
            Holder holder = new Holder();
            holder.provider = AgnoChatMemoryProvider.builder().storage(storage).build();
            holder.assistant = holder.provider.attachTo(AiServices.builder(Assistant.class))
                    .chatModel(new InstantModel()).build();
            for (int i = 0; i < sessions; i++) {
                holder.assistant.chat(SessionKey.of("user-" + i, "session-" + i), "My favourite number is " + i);
            }
            long with = usedAfterGc();
            holder.assistant = null;
            holder.provider = null;
            long without = usedAfterGc();
            return Math.max(0, with - without);
        }
    }

    private static long baselineRetained(int sessions) {
        long before = usedAfterGc();
        Holder holder = new Holder();
        holder.assistant = AiServices.builder(Assistant.class).chatModel(new InstantModel())
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20)).build();
        for (int i = 0; i < sessions; i++) {
            holder.assistant.chat(SessionKey.of("user-" + i, "session-" + i), "My favourite number is " + i);
        }
        long with = usedAfterGc();
        if (holder.assistant.chat(SessionKey.of("user-0", "session-0"), "still there?") == null) {
            System.out.print(""); // keeps the service reachable up to the measurement
        }
        return Math.max(0, with - before);
    }

    private static final class Holder {
        AgnoChatMemoryProvider provider;
        Assistant assistant;
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void row(String name, long bytes, int sessions, long agno) {
        System.out.printf("%-58s %12.1f %14d %8.2f%n", name, mb(bytes), bytes / sessions,
                agno == 0 ? Double.NaN : (double) bytes / agno);
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
