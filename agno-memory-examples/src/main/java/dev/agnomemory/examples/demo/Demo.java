package dev.agnomemory.examples.demo;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.examples.inspector.Inspector;
import dev.agnomemory.langchain4j.AgnoChatMemoryProvider;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What agno-memory does, with no API key and no configuration: a scripted in-process model ({@link DemoModel})
 * drives a few sessions of two users through the real {@code AiServices} on an embedded MapDB store, and the demo
 * prints, run by run, exactly what the model was sent — the agent's requests with their system message and
 * history, and the memory model's and summarizer's requests after each run — then the inspector's view of the
 * store.
 *
 * <p>The story: Alice introduces herself and asks about the weather (a tool call); the memory model extracts facts
 * about her; once her history outgrows the window of two runs, the summary joins the system message; the process
 * "restarts" (the store is closed and opened again) and Alice's session continues from the file, with her memories
 * in the prompt; Bob, another user, sees none of Alice's data.
 *
 * <p>Run with {@code ./mvnw -q -Pdemo -pl agno-memory-examples -am process-classes}. The store goes to a new
 * temporary directory (printed at the end), or to the file given as the first argument.
 */
public final class Demo {

    interface Assistant {
        @dev.langchain4j.service.SystemMessage("You are a friendly travel assistant. Be brief.")
        String chat(@MemoryId SessionKey session, @dev.langchain4j.service.UserMessage String message);
    }

    /** The agent's tool. */
    static final class Weather {
        @Tool(name = "get_weather", value = "The current weather in a city")
        String getWeather(String city) {
            return city.equals("Lisbon") ? "sunny, 24°C" : "cloudy, 12°C";
        }
    }

    private static final SessionKey ALICE = SessionKey.of("alice", "trip-planning");
    private static final SessionKey BOB = SessionKey.of("bob", "first-chat");

    private final PrintStream out;
    private final Path store;
    private final List<String> sameSystem = new ArrayList<>();
    private int requestNumber;

    Demo(PrintStream out, Path store) {
        this.out = out;
        this.store = store;
    }

    public static void main(String[] args) throws IOException {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path store = args.length > 0 ? Path.of(args[0])
                : Files.createTempDirectory("agno-memory-demo").resolve("demo.db");
        new Demo(System.out, store).run();
    }

    void run() {
        heading("agno-memory demo: a scripted in-process model, the real AiServices, an embedded MapDB store");
        out.println("Store: " + store.toAbsolutePath());
        try (MapDbStorage storage = MapDbStorage.open(store)) {
            session(storage, ALICE, List.of(
                    "Hi! My name is Alice and I live in Lisbon.",
                    "What's the weather in Lisbon today?",
                    "I love hiking, by the way.",
                    "Can you suggest a walk for Saturday?"));
        }
        heading("Restart: the store is closed and opened again, as a new process would");
        try (MapDbStorage storage = MapDbStorage.open(store)) {
            session(storage, ALICE, List.of("What do you remember about me?"));
            session(storage, BOB, List.of("Hello, my name is Bob. What do you remember about me?"));
        }
        heading("The inspector's view of the store");
        Inspector inspector = new Inspector(out, out);
        for (String[] command : List.of(new String[] {"sessions"}, new String[] {"show", "alice", "trip-planning"},
                new String[] {"memories", "alice"}, new String[] {"memories", "bob"})) {
            out.println();
            out.println("$ inspector " + store.getFileName() + " " + String.join(" ", command));
            String[] args = new String[command.length + 1];
            args[0] = store.toString();
            System.arraycopy(command, 0, args, 1, command.length);
            inspector.run(args);
        }
        out.println();
        out.println("The store stays at " + store.toAbsolutePath() + "; inspect it again with");
        out.println("  ./mvnw -q -Pinspect -pl agno-memory-examples -am process-classes -Dexec.args=\""
                + store.toAbsolutePath() + " sessions\"");
    }

    /** One process's calls on one session, with a provider as an application would build it. */
    private void session(MapDbStorage storage, SessionKey key, List<String> messages) {
        DemoModel model = new DemoModel(this::print);
        try (AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder()
                .storage(storage)
                .memoryModel(model)
                .createUserMemories(true)
                .createSessionSummary(true)
                .numHistoryResponses(2)
                .build()) {
            Assistant assistant = memory.attachTo(AiServices.builder(Assistant.class)).chatModel(model)
                    .tools(new Weather()).build();
            for (String message : messages) {
                heading("user " + key.userId() + ", session " + key.sessionId() + ": \"" + message + "\"");
                String answer = assistant.chat(key, message);
                out.println();
                out.println("=> answer: " + answer);
            }
        }
    }

    /** Prints one model request exactly as sent (repeated system prompts of memory work shown once) and its answer. */
    private void print(ChatRequest request, ChatResponse response) {
        requestNumber++;
        DemoModel.Kind kind = DemoModel.kindOf(request);
        out.println();
        out.println("--- model request " + requestNumber + " (" + switch (kind) {
            case AGENT -> "the agent";
            case MEMORY -> "the memory model, after the run";
            case SUMMARY -> "the summarizer, after the run";
        } + ")");
        for (ChatMessage m : request.messages()) {
            String text = text(m);
            if (kind != DemoModel.Kind.AGENT && m instanceof SystemMessage) {
                int seen = sameSystem.indexOf(text);
                if (seen >= 0) {
                    out.println("[system] (the same instructions as before, " + text.length() + " characters)");
                    continue;
                }
                sameSystem.add(text);
            }
            out.println("[" + role(m) + "] " + indent(text));
        }
        if (!request.toolSpecifications().isEmpty()) {
            out.println("(tools offered: " + request.toolSpecifications().stream().map(ToolSpecification::name)
                    .collect(Collectors.joining(", ")) + ")");
        }
        out.println("<-- " + indent(text(response.aiMessage())));
    }

    private static String role(ChatMessage m) {
        return m.type().name().toLowerCase(Locale.ROOT).replace("_execution_result", " result");
    }

    private static String text(ChatMessage m) {
        if (m instanceof SystemMessage s) {
            return s.text();
        }
        if (m instanceof UserMessage u) {
            return u.singleText();
        }
        if (m instanceof ToolExecutionResultMessage r) {
            return r.toolName() + " -> " + r.text();
        }
        if (m instanceof AiMessage ai) {
            if (ai.hasToolExecutionRequests()) {
                return "calls " + ai.toolExecutionRequests().stream()
                        .map(t -> t.name() + " " + t.arguments()).collect(Collectors.joining(", "));
            }
            return ai.text();
        }
        return m.toString();
    }

    private static String indent(String text) {
        return text.replace("\n", "\n    ");
    }

    private void heading(String title) {
        out.println();
        out.println("=".repeat(Math.min(100, title.length() + 6)));
        out.println("== " + title);
    }
}
