package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.AgnoChatMemory;
import dev.agnomemory.langchain4j.AgnoChatMemoryProvider;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code messages()} of the run-aware {@link AgnoChatMemory} inside a call (history window of 3 runs, on a MapDB
 * store whose session already holds N runs of 4 messages, and the call's user message) next to LangChain4j's
 * {@link MessageWindowChatMemory} over {@link InMemoryChatMemoryStore} holding the same window (the system message,
 * the last 12 messages and the user message). Both are measured in the same rounds, interleaved, so the ratio is a
 * same-moment comparison. Then what each call adds at its start: the O(1) check of the session's version in
 * storage, next to reloading the window (what a memory without the check would have to do to see other writers).
 * Then {@link SessionHeapBenchmark}.
 *
 * <p>Run: {@code ./mvnw -B -q -Pbench -pl agno-memory-examples -am verify -DskipTests} (it runs after the storage
 * benchmark), or quick: add {@code -Dbench.quick=true}.
 */
public final class ChatMemoryBenchmark {

    private static final int WINDOW_RUNS = 3;
    private static final int[] SIZES = {10, 1_000, 10_000};

    private ChatMemoryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Boolean.getBoolean("bench.quick");
        int rounds = quick ? 3 : 7;
        int callsPerRound = quick ? 20_000 : 100_000;
        // messages() is answered from the memory's cache, so where the store lives only affects the prefill and the
        // first call; /dev/shm keeps the 10,000-run prefill (20,000 fsyncs) short.
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = Files.createTempDirectory(base, "chat-memory-bench");
        TextPool texts = new TextPool(7, 512);
        List<String[]> rows = new ArrayList<>();
        List<String[]> checkRows = new ArrayList<>();
        try {
            for (int size : SIZES) {
                Path file = dir.resolve("s" + size + ".db");
                SessionKey key = SessionKey.of("bench", "s");
                prefill(file, key, size, texts);
                try (MapDbStorage storage = MapDbStorage.open(file);
                        AgnoChatMemoryProvider provider = AgnoChatMemoryProvider.builder().storage(storage)
                                .numHistoryResponses(WINDOW_RUNS).build()) {
                    AgnoChatMemory agno = provider.get(key);
                    agno.add(SystemMessage.from("You are a benchmark assistant."));
                    agno.add(UserMessage.from("The question of the call in progress?")); // inside a call
                    long coldStart = System.nanoTime();
                    int window = agno.messages().size();
                    long cold = System.nanoTime() - coldStart;
                    ChatMemory reference = MessageWindowChatMemory.builder().maxMessages(window)
                            .chatMemoryStore(new InMemoryChatMemoryStore()).build();
                    agno.messages().forEach(reference::add);
                    check(agno.messages(), reference.messages());

                    Samples agnoTimes = new Samples();
                    Samples refTimes = new Samples();
                    Samples ratios = new Samples();
                    int warmUp = 3;
                    for (int r = 0; r < rounds + warmUp; r++) {
                        double a = perCall(agno, callsPerRound);
                        double b = perCall(reference, callsPerRound);
                        if (r >= warmUp) {
                            agnoTimes.add(a);
                            refTimes.add(b);
                            ratios.add(a / b);
                        }
                    }
                    rows.add(new String[] {String.format("%,d", size), String.valueOf(window),
                            String.format("%.2f", agnoTimes.median() / 1_000), String.format("%.2f",
                                    refTimes.median() / 1_000), String.format("%.2f", ratios.median()),
                            String.format("%.1f", cold / 1_000_000.0)});
                    Samples check = new Samples();
                    Samples reload = new Samples();
                    Samples checkRatios = new Samples();
                    int checks = quick ? 2_000 : 10_000;
                    for (int r = 0; r < rounds + warmUp; r++) {
                        double c = perCall(() -> (int) storage.sessionVersion(key).orElse(0), checks);
                        double l = perCall(() -> storage.lastCompletedRuns(key, WINDOW_RUNS).size()
                                + storage.session(key).map(x -> x.data().size()).orElse(0), checks / 10);
                        if (r >= warmUp) {
                            check.add(c);
                            reload.add(l);
                            checkRatios.add(c / l);
                        }
                    }
                    checkRows.add(new String[] {String.format("%,d", size), String.format("%.2f",
                            check.median() / 1_000), String.format("%.2f", reload.median() / 1_000),
                            String.format("%.3f", checkRatios.median())});
                }
            }
        } finally {
            deleteTree(dir);
        }
        System.out.println();
        System.out.println("messages() inside a call: AgnoChatMemory (3 runs of history) vs MessageWindowChatMemory "
                + "over InMemoryChatMemoryStore, same window");
        System.out.printf("%-14s %-8s %-16s %-18s %-10s %-20s%n", "session runs", "window", "agno µs/call",
                "in-memory µs/call", "ratio", "first call (load) ms");
        for (String[] row : rows) {
            System.out.printf("%-14s %-8s %-16s %-18s %-10s %-20s%n", (Object[]) row);
        }
        double flat = Double.parseDouble(rows.get(2)[2]) / Double.parseDouble(rows.get(0)[2]);
        double worst = rows.stream().mapToDouble(r -> Double.parseDouble(r[4])).max().orElseThrow();
        System.out.printf("%ntarget: within 2x of the in-memory baseline: worst ratio %.2f -> %s%n", worst,
                worst <= 2.0 ? "PASS" : "FAIL");
        System.out.printf("target: flat in session length: 10,000 runs / 10 runs = %.2f -> %s%n", flat,
                flat <= 1.5 ? "PASS" : "FAIL");

        System.out.println();
        System.out.println("At the start of each call: the session's version (O(1)) vs reloading the window");
        System.out.printf("%-14s %-22s %-28s %-10s%n", "session runs", "version check µs", "reload (last 3 runs) µs",
                "ratio");
        for (String[] row : checkRows) {
            System.out.printf("%-14s %-22s %-28s %-10s%n", (Object[]) row);
        }
        double checkFlat = Double.parseDouble(checkRows.get(2)[1]) / Double.parseDouble(checkRows.get(0)[1]);
        System.out.printf("%ntarget: the check is flat in session length: 10,000 runs / 10 runs = %.2f -> %s%n",
                checkFlat, checkFlat <= 1.5 ? "PASS" : "FAIL");

        SessionHeapBenchmark.main(args);
    }

    private static double perCall(java.util.function.IntSupplier call, int calls) {
        long sink = 0;
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            sink += call.getAsInt();
        }
        long elapsed = System.nanoTime() - start;
        if (sink == 42) {
            System.out.print("");
        }
        return (double) elapsed / calls;
    }

    private static double perCall(ChatMemory memory, int calls) {
        long sink = 0;
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            sink += memory.messages().size();
        }
        long elapsed = System.nanoTime() - start;
        if (sink == 42) {
            System.out.print("");
        }
        return (double) elapsed / calls;
    }

    private static void prefill(Path file, SessionKey key, int runs, TextPool texts) {
        try (MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(50_000).build()) {
            storage.getOrCreateSession(key, null);
            for (int r = 0; r < runs; r++) {
                String runId = "run-" + r;
                List<Message> messages = new ArrayList<>(4);
                for (int m = 0; m < 4; m++) {
                    ChatMessage lc = m % 2 == 0 ? UserMessage.from(texts.get(r * 4 + m))
                            : AiMessage.from(texts.get(r * 4 + m));
                    String text = lc instanceof UserMessage u ? u.singleText() : ((AiMessage) lc).text();
                    messages.add(Message.builder(m % 2 == 0 ? dev.agnomemory.core.Role.USER
                            : dev.agnomemory.core.Role.ASSISTANT).content(text)
                            .payload(ChatMessageSerializer.messageToJson(lc)).build());
                }
                storage.appendMessages(key, runId, messages);
                storage.completeRun(key, runId);
            }
        }
    }

    private static void check(List<ChatMessage> agno, List<ChatMessage> reference) {
        if (!agno.equals(reference)) {
            throw new IllegalStateException("the two memories hold different windows");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
