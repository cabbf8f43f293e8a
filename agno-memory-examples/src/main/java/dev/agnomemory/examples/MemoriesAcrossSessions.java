package dev.agnomemory.examples;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.AgnoChatMemoryProvider;
import dev.agnomemory.langchain4j.MemoryRetrieval;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * User memories and session summaries across two sessions, as in Agno's memory examples: in session one the
 * user tells the agent about themselves; session two, a new conversation, starts with those memories in the
 * system message. Prints what was remembered and the session summary after each session.
 *
 * <p>Run with {@code ./mvnw -q -Pmemories -pl agno-memory-examples -am process-classes}; the model comes from
 * {@code OPENAI_API_KEY}, {@code OPENAI_BASE_URL} and {@code OPENAI_MODEL}, as for {@link PersistentChat}. The
 * store is {@code agno-memories-example.db} in the directory the command runs from (or the path given as the first
 * argument); each run makes a new user ({@code maya-} and a random suffix), so runs never mix, and the store keeps
 * them all for the inspector. The agent has the {@code get_chat_history} tool its system prompt mentions.
 */
public final class MemoriesAcrossSessions {

    private static final List<String> SESSION_ONE = List.of(
            "Hi! I'm Maya, I work as a nurse in Leeds.",
            "I'm training for my first half marathon in October.",
            "Can you suggest a light dinner after a long run? I'm vegetarian.");
    private static final List<String> SESSION_TWO = List.of(
            "Hello again! What do you remember about me?",
            "Plan a short training week for me.");

    private final PrintStream out;
    private final Map<String, String> env;
    private final Path db;

    MemoriesAcrossSessions(PrintStream out, Map<String, String> env, Path db) {
        this.out = out;
        this.env = env;
        this.db = db;
    }

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path db = Path.of(args.length > 0 ? args[0] : "agno-memories-example.db");
        System.exit(new MemoriesAcrossSessions(System.out, System.getenv(), db).run());
    }

    int run() {
        Optional<ModelSettings> settings = ModelSettings.fromEnv(env);
        if (settings.isEmpty()) {
            ModelSettings.printInstructions(out, "MemoriesAcrossSessions");
            return 2;
        }
        ChatModel model = settings.get().createModel();
        String user = "maya-" + UUID.randomUUID().toString().substring(0, 8);
        try (MapDbStorage storage = MapDbStorage.open(db);
                AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder()
                        .storage(storage)
                        .memoryModel(model)
                        .createUserMemories(true)
                        .createSessionSummary(true)
                        .memoryRetrieval(MemoryRetrieval.LAST_N)
                        .numHistoryResponses(2)
                        .readChatHistory(true)
                        .build()) {
            ChatAssistant assistant = memory.attachTo(AiServices.builder(ChatAssistant.class)).chatModel(model)
                    .build();
            talk(assistant, storage, SessionKey.of(user, "session-1"), SESSION_ONE);
            talk(assistant, storage, SessionKey.of(user, "session-2"), SESSION_TWO);
        }
        out.println("\nStored in " + db.toAbsolutePath() + "; inspect it with the inspector (see README).");
        return 0;
    }

    private void talk(ChatAssistant assistant, MapDbStorage storage, SessionKey session, List<String> lines) {
        out.println("\n=== " + session.sessionId() + " of user " + session.userId() + " ===");
        for (String line : lines) {
            out.println("You: " + line);
            out.println("Assistant: " + assistant.chat(session, line));
        }
        out.println("--- what the agent remembers about " + session.userId() + " ---");
        List<UserMemory> memories = storage.memories(session.userId());
        if (memories.isEmpty()) {
            out.println("(nothing yet)");
        }
        memories.forEach(m -> out.println("- " + m.memory() + " " + m.topics()));
        storage.summary(session).ifPresent(s -> out.println("--- summary of " + session.sessionId() + " ---\n"
                + s.summary() + "\nTopics: " + s.topics()));
    }
}
