package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationSearch;
import dev.agnomemory.core.search.LuceneConversationIndex;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.EmbeddingModels;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.agnomemory.langchain4j.testing.ToolRound;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code search_conversations}, the related-messages block and the provider feeding the conversation search,
 * through the real AiServices and OpenAI model against the scripted server, over a real MapDB file, a real Lucene
 * index on disk and the real in-process MiniLM.
 */
class ConversationSearchToolsTest {

    private static final String SYSTEM = "You are a travel assistant.";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SessionKey NOW = SessionKey.of("alice", "now");
    private static final SessionKey HIKING = SessionKey.of("alice", "hiking");
    private static final SessionKey COOKING = SessionKey.of("alice", "cooking");
    private static final SessionKey BOB = SessionKey.of("bob", "hiking");

    interface Assistant {
        @SystemMessage(SYSTEM)
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();
    @RegisterExtension
    final CapturedLogs logs = new CapturedLogs();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private ScheduledThreadPoolExecutor indexer;
    private LuceneConversationIndex index;
    private ConversationSearch search;
    private AgnoChatMemoryProvider memory;
    private Assistant assistant;
    private final AtomicLong callIds = new AtomicLong();

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        indexer = new ScheduledThreadPoolExecutor(1);
        index = LuceneConversationIndex.builder().directory(store.dir().resolve("index"))
                .embedder(EmbeddingModelTextEmbedder.of(EmbeddingModels.miniLm())).build();
        search = ConversationSearch.builder().storage(storage).index(index).scheduler(indexer).build();
    }

    @AfterEach
    void stop() {
        search.close();
        index.close();
        indexer.shutdown();
    }

    private void memory(Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage).conversationSearch(search);
        options.accept(b);
        memory = b.build();
        assistant = memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    private void say(SessionKey session, String user, String answer) {
        server.replyText(answer);
        assertThat(assistant.chat(session, user)).isEqualTo(answer);
    }

    private void pastConversations() {
        say(HIKING, "Last summer I hiked the Preikestolen trail above the Lysefjord in Norway.",
                "That cliff is spectacular!");
        say(HIKING, "We camped by a lake afterwards.", "Sounds lovely.");
        say(COOKING, "My favourite dish is mushroom risotto with parmesan.", "A classic.");
        say(BOB, "I climbed Kilimanjaro in Tanzania, my best mountain trek ever.", "Impressive!");
    }

    /** One call in which the model calls the tools as given, then answers; returns the tool results in order. */
    private List<String> callTools(SessionKey session, String userMessage, ToolCallSpec... calls) {
        return ToolRound.results(server, () -> assistant.chat(session, userMessage), calls);
    }

    private JsonNode searchTool(SessionKey session, String userMessage, String arguments) throws Exception {
        return JSON.readTree(callTools(session, userMessage,
                ToolCallSpec.of("s" + callIds.incrementAndGet(), "search_conversations", arguments)).get(0));
    }

    @Test
    void theToolIsOfferedWithItsDescriptionAndParameters() {
        memory(b -> b.searchConversations(true));
        say(NOW, "hi", "hello");
        assertThat(server.lastRequest().tools()).containsExactly("search_conversations");
        JsonNode tool = server.lastRequest().json().get("tools").get(0).get("function");
        assertThat(tool.get("description").asText()).isEqualTo("Searches everything the user and you said in all "
                + "your conversations with this user, by meaning and by words, and returns the most related messages "
                + "as JSON, best match first (session_id, run_id, created_at, role, content, and the messages just "
                + "before and after it). Use it when the user refers to something from an earlier conversation that "
                + "you do not see.");
        JsonNode properties = tool.path("parameters").path("properties");
        assertThat(properties.path("query").path("type").asText()).isEqualTo("string");
        assertThat(properties.path("query").path("description").asText()).isEqualTo("What to look for, in the "
                + "user's words or yours, e.g. 'the name of the hotel in Rome'.");
        assertThat(properties.path("limit").path("type").asText()).isEqualTo("integer");
        assertThat(properties.path("limit").path("description").asText())
                .isEqualTo("How many messages to return (default 5, at most 50).");
        assertThat(tool.path("parameters").path("required")).extracting(JsonNode::asText).containsExactly("query");
    }

    @Test
    void theToolFindsTheUsersMessagesByMeaningWithTheirNeighboursButNotTheRunInProgress() throws Exception {
        memory(b -> b.searchConversations(true));
        pastConversations();
        JsonNode hits = searchTool(NOW, "Which walk along a fjord did I do?", "{\"query\": \"walk along a "
                + "fjord\", \"limit\": 3}");
        assertThat(hits).hasSizeLessThanOrEqualTo(3).isNotEmpty();
        JsonNode best = hits.get(0);
        assertThat(best.get("content").asText()).startsWith("Last summer I hiked the Preikestolen trail");
        assertThat(best.get("session_id").asText()).isEqualTo("hiking");
        assertThat(best.get("role").asText()).isEqualTo("user");
        Run firstRun = storage.runs(HIKING).toList().get(0);
        assertThat(best.get("run_id").asText()).isEqualTo(firstRun.runId());
        assertThat(best.get("created_at").asText()).isEqualTo(firstRun.messages().get(0).createdAt().toString());
        assertThat(best.get("before")).isEmpty();
        assertThat(best.get("after")).singleElement().satisfies(after -> {
            assertThat(after.get("role").asText()).isEqualTo("assistant");
            assertThat(after.get("content").asText()).isEqualTo("That cliff is spectacular!");
        });
        assertThat(hits.toString()).as("not the question being answered, not bob's trek")
                .doesNotContain("Which walk along a fjord", "Kilimanjaro");

        JsonNode byWord = searchTool(NOW, "What did I cook?", "{\"query\": \"risotto\"}");
        assertThat(byWord.get(0).get("content").asText()).contains("mushroom risotto");
        assertThat(byWord.size()).isLessThanOrEqualTo(SearchConversationsTool.DEFAULT_LIMIT);

        JsonNode current = searchTool(NOW, "And now?", "{\"query\": \"Which walk along a fjord did I do?\"}");
        assertThat(current.toString()).as("the current session's finished runs are searched too")
                .contains("Which walk along a fjord did I do?").doesNotContain("And now?");
    }

    @Test
    void withoutTheListenersTheRunInProgressIsLeftOutToo() throws Exception {
        memory(b -> b.searchConversations(true));
        pastConversations();
        assistant = AiServices.builder(Assistant.class).chatModel(openAi.chatModel()).chatMemoryProvider(memory)
                .tools(memory.tools()).build(); // no listeners: runs get random ids, not the invocation's
        JsonNode hits = searchTool(NOW, "Which walk along a fjord did I do?", "{\"query\": \"walk along a fjord\"}");
        assertThat(hits.get(0).get("content").asText()).startsWith("Last summer I hiked the Preikestolen trail");
        assertThat(hits.toString()).doesNotContain("Which walk along a fjord");
    }

    @Test
    void noArgumentReachesAnotherUsersMessages() throws Exception {
        memory(b -> b.searchConversations(true));
        pastConversations();
        List<String> answers = callTools(NOW, "Search everything",
                ToolCallSpec.of("i1", "search_conversations", "{\"query\": \"Kilimanjaro Tanzania trek\"}"),
                ToolCallSpec.of("i2", "search_conversations", "{\"query\": \"Kilimanjaro\", \"user_id\": \"bob\"}"),
                ToolCallSpec.of("i3", "search_conversations", "{\"query\": \"Kilimanjaro\", \"userId\": \"bob\", "
                        + "\"session_id\": \"hiking\", \"limit\": 50}"),
                ToolCallSpec.of("i4", "search_conversations", "{\"query\": \"bob\"}"),
                ToolCallSpec.of("i5", "search_conversations", "{\"query\": \"*:*\"}"),
                ToolCallSpec.of("i6", "search_conversations", "{\"query\": \"userId:bob OR user:bob\"}"),
                ToolCallSpec.of("i7", "search_conversations", "{\"query\": \"mountain trek\", \"limit\": 50}"));
        for (String answer : answers) {
            JsonNode hits = JSON.readTree(answer);
            assertThat(hits.isArray()).as(answer).isTrue();
            assertThat(answer).doesNotContain("Kilimanjaro", "Impressive!");
            hits.forEach(hit -> assertThat(hit.get("session_id").asText()).isIn("hiking", "cooking", "now"));
        }
        // bob himself finds it: the answers above are not empty by accident
        JsonNode bobs = searchTool(SessionKey.of("bob", "other"), "Where did I climb?", "{\"query\": \"Kilimanjaro\"}");
        assertThat(bobs.get(0).get("content").asText()).contains("Kilimanjaro");
    }

    @Test
    void badArgumentsAreAnsweredToTheModelAndTheCallGoesOn() {
        memory(b -> b.searchConversations(true));
        pastConversations();
        List<String> answers = callTools(NOW, "Search",
                ToolCallSpec.of("b1", "search_conversations", "{}"),
                ToolCallSpec.of("b2", "search_conversations", "{\"query\": \" \"}"),
                ToolCallSpec.of("b3", "search_conversations", "{\"query\": 7}"),
                ToolCallSpec.of("b4", "search_conversations", "{\"query\": \"" + "a".repeat(2001) + "\"}"),
                ToolCallSpec.of("b5", "search_conversations", "{\"query\": \"risotto\", \"limit\": 0}"),
                ToolCallSpec.of("b6", "search_conversations", "{\"query\": \"risotto\", \"limit\": 51}"),
                ToolCallSpec.of("b7", "search_conversations", "{\"query\": \"risotto\", \"limit\": \"ten\"}"),
                ToolCallSpec.of("b8", "search_conversations", "{\"query\": \"risotto\", \"limit\": [3]}"),
                ToolCallSpec.of("b9", "search_conversations", "nope"),
                ToolCallSpec.of("b10", "search_conversations", "{\"query\": \"risotto\", \"limit\": 1}"));
        assertThat(answers.get(0)).isEqualTo("query is required and must be a non-empty text. Call "
                + "search_conversations again with query.");
        assertThat(answers.get(1)).startsWith("query is required and must be a non-empty text, but was");
        assertThat(answers.get(2)).startsWith("query is required and must be a non-empty text, but was 7.");
        assertThat(answers.get(3)).isEqualTo("query must be at most 2000 characters long, but was 2001. Call "
                + "search_conversations again with a shorter query.");
        assertThat(answers.get(4)).startsWith("limit must be a whole number of at least 1, but was 0.");
        assertThat(answers.get(5)).startsWith("limit must be at most 50, but was 51.");
        assertThat(answers.get(6)).startsWith("limit must be a whole number, but was \"ten\".");
        assertThat(answers.get(7)).startsWith("limit must be a whole number, but was [3].");
        assertThat(answers.get(8)).startsWith("The arguments of search_conversations must be a JSON object");
        assertThat(answers.get(9)).as("the call went on to a good search").contains("mushroom risotto");
    }

    @Test
    void relatedPastMessagesOfOtherSessionsGoIntoTheSystemMessageAsADelimitedBlock() {
        memory(b -> b.addRelatedPastMessagesToContext(2));
        pastConversations();
        say(NOW, "Remember my fjord hike? Suggest a similar one.", "Try Trolltunga.");
        String system = server.lastRequest().messages().get(0).content();
        Run hike = storage.runs(HIKING).toList().get(0);
        assertThat(system).startsWith(SYSTEM + "\n\nHere are messages from your previous conversations with the user "
                + "that may relate to the current message, most related first:\n\n<related_past_messages>\n- ["
                + hike.messages().get(0).createdAt() + ", session hiking] user: Last summer I hiked the Preikestolen "
                + "trail above the Lysefjord in Norway.\n");
        assertThat(system).endsWith("</related_past_messages>\n\nNote: these messages are from other "
                + "conversations and may be outdated. You should always prefer information from this conversation "
                + "over them.");
        assertThat(system.lines().filter(l -> l.startsWith("- ["))).hasSize(2);
        assertThat(system).doesNotContain("Kilimanjaro", "session now");
        assertThat(server.lastRequest().tools()).as("the block alone offers no tool").isEmpty();

        say(SessionKey.of("carol", "first"), "Remember my fjord hike?", "I don't think we talked about it.");
        assertThat(server.lastRequest().messages().get(0).content()).as("nothing related: no block")
                .isEqualTo(SYSTEM);
    }

    @Test
    void theProviderTellsTheSearchOfStoredRunsSoTheyAreIndexedInTheBackground() throws Exception {
        memory(b -> { });
        indexer.submit(() -> null).get(); // the first sweep, over the empty store, is done
        assertThat(index.indexedSession(HIKING)).isEmpty();
        say(HIKING, "Last summer I hiked the Preikestolen trail.", "Spectacular!");
        indexer.submit(() -> null).get(); // the work the provider queued is done
        assertThat(index.indexedSession(HIKING)).as("indexed without any search").isPresent();
        assertThat(index.lastIndexedPosition(HIKING)).isPresent();

        memory.get(HIKING).clear();
        indexer.submit(() -> null).get();
        assertThat(index.indexedSession(HIKING)).as("the deleted session left the index").isEmpty();
    }

    @Test
    void aFailingSearchLeavesTheBlockOutAndTheCallGoesOn() {
        memory(b -> b.addRelatedPastMessagesToContext(3));
        pastConversations();
        search.close();
        say(NOW, "Remember my fjord hike?", "Not right now.");
        assertThat(server.lastRequest().messages().get(0).content()).isEqualTo(SYSTEM);
        assertThat(logs.linesWith("Searching past messages related to the current message of "
                + "SessionKey[userId=alice, sessionId=now] failed; its prompt goes without them")).hasSize(1);
        assertThat(logs.linesWith("Could not tell the conversation search")).hasSize(1);
    }

    @Test
    void theSearchOptionsNeedASearch() {
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).searchConversations(true).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conversationSearch");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).addRelatedPastMessagesToContext(2)
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conversationSearch");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).conversationSearch(search)
                .addRelatedPastMessagesToContext(0).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k");
    }
}
