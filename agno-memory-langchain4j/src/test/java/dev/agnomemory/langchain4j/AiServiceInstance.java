package dev.agnomemory.langchain4j;

import com.zaxxer.hikari.HikariDataSource;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.PostgresServer;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * One application instance for {@link TwoInstancesOnPostgresTest}, run in a child JVM: its own pool,
 * {@link PostgresStorage} and provider, and an AI service on the real {@code OpenAiChatModel} against the test's
 * scripted server. Commands on stdin:
 * <ul>
 *   <li>{@code CALLS <threads> <calls> <name>}: that many threads each make that many calls on the session, one
 *       after the other, with the messages {@code <name>-t<thread>-c<call>}; then prints {@code DONE <name>};</li>
 *   <li>{@code CALL <message>}: one call on a thread of its own;</li>
 *   <li>{@code GO}: lets the {@code hold} tool return.</li>
 * </ul>
 * Each call prints {@code CALLED <message>} or {@code FAILED <message> <exception class>: <message>}; the
 * {@code hold} tool prints {@code HOLDING} and waits for {@code GO}, so the call holds the session's turn meanwhile.
 */
public final class AiServiceInstance {

    static final SessionKey SESSION = SessionKey.of("alice", "shared");

    interface Assistant {
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    private static PrintStream out;
    private static final CountDownLatch GO = new CountDownLatch(1);

    /** The tool the scripted model calls for a message that starts with {@code HOLD}. */
    public static final class Holding {
        @Tool("Waits for the test")
        public String hold() throws InterruptedException {
            out.println("HOLDING");
            GO.await();
            return "held";
        }
    }

    /**
     * @param args JDBC URL, schema, the scripted server's base URL, the turn lease in milliseconds
     */
    public static void main(String[] args) throws Exception {
        out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (HikariDataSource pool = PostgresServer.pool(args[0], 10);
                PostgresStorage storage = PostgresStorage.builder().dataSource(pool).schema(args[1])
                        .turnLease(Duration.ofMillis(Long.parseLong(args[3])))
                        .turnPollInterval(Duration.ofMillis(50)).build()) {
            AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).numHistoryResponses(3)
                    .build();
            OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(args[2]).apiKey("test-key")
                    .modelName("gpt-4o-mini").maxRetries(0).timeout(Duration.ofMinutes(2)).build();
            Assistant assistant = memory.attachTo(AiServices.builder(Assistant.class)).chatModel(model)
                    .tools(new Holding()).build();
            out.println("READY");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] command = line.split(" ");
                switch (command[0]) {
                    case "CALLS" -> calls(assistant, Integer.parseInt(command[1]), Integer.parseInt(command[2]),
                            command[3]);
                    case "CALL" -> new Thread(() -> call(assistant, command[1])).start();
                    case "GO" -> GO.countDown();
                    default -> out.println("UNKNOWN " + line);
                }
            }
        }
    }

    private static void calls(Assistant assistant, int threads, int calls, String name) {
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            started.add(new Thread(() -> {
                for (int c = 0; c < calls; c++) {
                    call(assistant, name + "-t" + thread + "-c" + c);
                }
            }));
        }
        started.forEach(Thread::start);
        new Thread(() -> {
            for (Thread t : started) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            out.println("DONE " + name);
        }).start();
    }

    private static void call(Assistant assistant, String message) {
        try {
            assistant.chat(SESSION, message);
            out.println("CALLED " + message);
        } catch (RuntimeException e) {
            out.println("FAILED " + message + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
