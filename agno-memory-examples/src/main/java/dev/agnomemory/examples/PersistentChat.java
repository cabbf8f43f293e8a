package dev.agnomemory.examples;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreLockedException;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.AgnoChatMemoryProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Agno's persistent-memory example in Java: a console chat whose sessions survive restarts.
 *
 * <p>On start it opens (or creates) the store file, lists the user's stored sessions and asks whether to continue
 * one or start a new one; then every line is sent to the model through an AI service with Agno-style memory
 * ({@link AgnoChatMemoryProvider}: the last 3 runs in the prompt, and the {@code get_chat_history} tool for
 * older ones). {@code exit}, {@code quit} or the end of input leaves, closing the store.
 *
 * <pre>
 * PersistentChat [--db FILE] [--user ID]
 *   --db FILE   the store (default agno-memory-example.db in the working directory), or a PostgreSQL
 *               database by its JDBC URL: jdbc:postgresql://host/db?user=u&amp;password=p (schema as
 *               currentSchema, default agno_memory; created on first use)
 *   --user ID   whose sessions to list and continue (default "default")
 * </pre>
 *
 * <p>The model is any OpenAI-compatible API, from the environment: {@code OPENAI_API_KEY} (required),
 * {@code OPENAI_BASE_URL} (default OpenAI), {@code OPENAI_MODEL} (default {@code gpt-4o-mini}); for a local
 * Ollama: {@code OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_API_KEY=ollama OPENAI_MODEL=llama3.2}. Without
 * a key it says what to set and exits with code 2 before touching any file.
 *
 * <p>Exit codes: 0 normal end; 2 bad arguments, no API key, or a store that cannot be opened.
 */
public final class PersistentChat {

    /** The agent id of the chat's sessions; the session list shows only these. */
    static final String AGENT_ID = "persistent-chat";
    static final int EXIT_OK = 0;
    static final int EXIT_PROBLEM = 2;

    private final BufferedReader in;
    private final PrintStream out;
    private final Map<String, String> env;
    private final String[] args;

    /**
     * @param in the user's input, one message per line
     * @param out where prompts and answers go
     * @param env the environment with the model settings
     * @param args the command line
     */
    public PersistentChat(BufferedReader in, PrintStream out, Map<String, String> env, String[] args) {
        this.in = in;
        this.out = out;
        this.env = Map.copyOf(env);
        this.args = args.clone();
    }

    /**
     * Runs the chat on the console and exits with its exit code.
     *
     * @param args {@code [--db FILE] [--user ID]}
     */
    public static void main(String[] args) {
        // The store logs at info level (for example "Created store"); keep the console for the conversation.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Console console = System.console();
        Charset charset = console != null ? console.charset() : Charset.defaultCharset();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, charset));
        System.exit(new PersistentChat(in, System.out, System.getenv(), args).run());
    }

    /** @return the exit code */
    public int run() {
        ChatOptions options;
        try {
            options = ChatOptions.parse(args);
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            out.println(ChatOptions.USAGE);
            return EXIT_PROBLEM;
        }
        if (options.help()) {
            out.println(ChatOptions.USAGE);
            return EXIT_OK;
        }
        Optional<ModelSettings> settings = ModelSettings.fromEnv(env);
        if (settings.isEmpty()) {
            ModelSettings.printInstructions(out);
            return EXIT_PROBLEM;
        }
        ChatModel model;
        try {
            model = settings.get().createModel();
        } catch (RuntimeException e) {
            out.println("Cannot set up the model " + settings.get().describe() + ": " + e.getMessage());
            return EXIT_PROBLEM;
        }
        MemoryStorage storage;
        Runnable close;
        String where;
        try {
            if (options.jdbc()) {
                PostgresStore store = PostgresStore.open(options.db(), false, true);
                storage = store.storage();
                close = store::close;
                where = store.describe();
            } else {
                MapDbStorage file = MapDbStorage.open(options.file());
                storage = file;
                close = file::close;
                where = options.file().toAbsolutePath().toString();
            }
        } catch (StoreLockedException e) {
            out.println("The store " + options.db() + " is open in another process (another chat, or the "
                    + "inspector); close it there first.");
            return EXIT_PROBLEM;
        } catch (StorageException e) {
            out.println("Cannot open the store: " + e.getMessage());
            return EXIT_PROBLEM;
        }
        try {
            out.println("Memory: " + where + "    model: " + settings.get().describe());
            Optional<SessionKey> session = new SessionChooser(storage, in, out).choose(options.userId(), AGENT_ID);
            if (session.isPresent()) {
                converse(assistant(storage, model, options.userId()), session.get());
                out.println("Session " + session.get().sessionId() + " is saved in " + where
                        + "; start again with --user " + options.userId() + " to continue it.");
            }
            return EXIT_OK;
        } catch (IOException e) {
            out.println("Cannot read the input: " + e.getMessage());
            return EXIT_PROBLEM;
        } finally {
            close.run();
        }
    }

    /** The AI service with Agno-style memory: the last 3 runs in the prompt, older ones through a tool. */
    static ChatAssistant assistant(MemoryStorage storage, ChatModel model, String userId) {
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder()
                .storage(storage)
                .userId(userId)
                .agentId(AGENT_ID)
                .numHistoryResponses(3)
                .readChatHistory(true)
                .build();
        return memory.attachTo(AiServices.builder(ChatAssistant.class))
                .chatModel(model)
                .build();
    }

    private void converse(ChatAssistant assistant, SessionKey session) throws IOException {
        out.println("Type a message; 'exit' or 'quit' leaves.");
        while (true) {
            out.print("you> ");
            out.flush();
            String line = in.readLine();
            if (line == null) {
                out.println();
                return;
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String command = line.toLowerCase(Locale.ROOT);
            if (command.equals("exit") || command.equals("quit")) {
                return;
            }
            try {
                out.println("assistant> " + assistant.chat(session, line));
            } catch (RuntimeException e) {
                // The run stays in the store as not completed and is not sent again; the chat goes on.
                out.println("(the model call failed: " + firstLine(e) + ")");
            }
        }
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
