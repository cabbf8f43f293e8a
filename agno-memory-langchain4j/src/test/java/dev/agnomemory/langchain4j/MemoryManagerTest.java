package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ScriptedChatModel;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The memory manager with scripted models, on a real store file. */
class MemoryManagerTest {

    @RegisterExtension
    final TempStorage temp = new TempStorage();

    private MapDbStorage storage;

    @BeforeEach
    void open() {
        storage = temp.storage();
    }

    private MemoryManager manager(ScriptedChatModel model) {
        return MemoryManager.builder().chatModel(model).storage(storage).build();
    }

    private static String lastUserText(ChatRequest request) {
        return ((UserMessage) request.messages().get(request.messages().size() - 1)).singleText();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void addsUpdatesAndDeletesMemoriesWithAnyModel(boolean structuredOutput) {
        ScriptedChatModel model = new ScriptedChatModel(structuredOutput);
        MemoryManager manager = manager(model);
        model.reply("{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory\": "
                + "\"The user lives in Oslo.\", \"topics\": [\"location\"]}, {\"action\": \"add\", \"memory\": "
                + "\"The user likes tea.\", \"topics\": [\"food\"]}]}");
        MemoryUpdate first = manager.updateFromMessage("alice", "I live in Oslo and I love tea");
        assertThat(first.added()).extracting(UserMemory::memory)
                .containsExactly("The user lives in Oslo.", "The user likes tea.");
        assertThat(storage.memories("alice")).hasSize(2);

        ChatRequest request = model.requests().get(0);
        if (structuredOutput) {
            assertThat(request.responseFormat().type()).isEqualTo(ResponseFormatType.JSON);
            assertThat(request.responseFormat().jsonSchema().name()).isEqualTo("memory_operations");
        } else {
            assertThat(((SystemMessage) request.messages().get(0)).text()).contains("Answer with only a JSON object");
        }
        assertThat(lastUserText(request)).contains("(none yet)").contains("I live in Oslo and I love tea");

        UserMemory oslo = first.added().get(0);
        UserMemory tea = first.added().get(1);
        model.reply(req -> {
            assertThat(lastUserText(req)).contains("memory_id: " + oslo.memoryId() + " | The user lives in Oslo.");
            return "{\"worth_remembering\": true, \"operations\": [{\"action\": \"update\", \"memory_id\": \""
                    + oslo.memoryId() + "\", \"memory\": \"The user moved from Oslo to Bergen.\", \"topics\": "
                    + "[\"location\"]}, {\"action\": \"delete\", \"memory_id\": \"" + tea.memoryId() + "\"}]}";
        });
        MemoryUpdate second = manager.updateFromMessage("alice", "I moved to Bergen, and I no longer drink tea");
        assertThat(second.updated()).extracting(UserMemory::memory).containsExactly("The user moved from Oslo to Bergen.");
        assertThat(second.deleted()).extracting(UserMemory::memoryId).containsExactly(tea.memoryId());
        assertThat(storage.memories("alice")).singleElement().satisfies(m -> {
            assertThat(m.memoryId()).isEqualTo(oslo.memoryId());
            assertThat(m.memory()).isEqualTo("The user moved from Oslo to Bergen.");
            assertThat(m.createdAt()).isEqualTo(oslo.createdAt());
        });
    }

    @Test
    void nothingWorthRememberingChangesNothing() {
        ScriptedChatModel model = new ScriptedChatModel(false).reply("{\"worth_remembering\": false, \"operations\": []}");
        assertThat(manager(model).updateFromMessage("alice", "What time is it?").isEmpty()).isTrue();
        assertThat(storage.memories("alice")).isEmpty();
    }

    @Test
    void malformedJsonIsRepairedOnce() {
        ScriptedChatModel model = new ScriptedChatModel(false)
                .reply("Sure! Here you go: {\"worth_remembering\": true, \"operations\": [ {\"action\": \"add\" ")
                .reply("```json\n{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory\": "
                        + "\"The user is a nurse.\", \"topics\": [\"work\"]}]}\n```");
        MemoryUpdate update = manager(model).updateFromMessage("alice", "I work as a nurse");
        assertThat(update.added()).extracting(UserMemory::memory).containsExactly("The user is a nurse.");
        assertThat(lastUserText(model.requests().get(1))).contains("could not be used").contains("not JSON");
    }

    @Test
    void unusableOutputTwiceStoresNothingAndSaysWhy() {
        storage.saveMemory(UserMemory.create("alice", "The user likes jazz.", null, null));
        ScriptedChatModel model = new ScriptedChatModel(false).reply("").reply("[1, 2, 3]");
        assertThatThrownBy(() -> manager(model).updateFromMessage("alice", "hello"))
                .isInstanceOf(MalformedModelOutputException.class).hasMessageContaining("repair");
        assertThat(storage.memories("alice")).extracting(UserMemory::memory).containsExactly("The user likes jazz.");
    }

    @Test
    void hostileOperationsCannotTouchOtherUsersOrBreakRules() {
        UserMemory bobs = UserMemory.create("bob", "Bob's secret", null, null);
        storage.saveMemory(bobs);
        UserMemory alices = UserMemory.create("alice", "The user likes jazz.", null, null);
        storage.saveMemory(alices);
        ScriptedChatModel model = new ScriptedChatModel(true).reply("{\"worth_remembering\": true, \"operations\": ["
                + "{\"action\": \"delete\", \"memory_id\": \"" + bobs.memoryId() + "\"},"
                + "{\"action\": \"update\", \"memory_id\": \"" + bobs.memoryId() + "\", \"memory\": \"pwned\"},"
                + "{\"action\": \"drop_table\"},"
                + "{\"action\": \"add\", \"memory\": \"" + "x".repeat(5_000) + "\"},"
                + "{\"action\": \"add\", \"memory\": \"   \"},"
                + "{\"action\": \"add\", \"memory\": \"The user plays piano.\", \"topics\": [\"music\", 7]}"
                + "]}");
        MemoryUpdate update = manager(model).updateFromMessage("alice", "I play piano");
        assertThat(update.added()).isEmpty();
        assertThat(update.rejected()).hasSize(6);
        assertThat(storage.memories("bob")).containsExactly(bobs);
        assertThat(storage.memories("alice")).containsExactly(alices);
    }

    @Test
    void tooManyOperationsAreRefusedAsAWhole() {
        StringBuilder ops = new StringBuilder();
        for (int i = 0; i < 25; i++) {
            ops.append(i == 0 ? "" : ",").append("{\"action\": \"add\", \"memory\": \"fact ").append(i).append("\"}");
        }
        String answer = "{\"worth_remembering\": true, \"operations\": [" + ops + "]}";
        ScriptedChatModel model = new ScriptedChatModel(false).reply(answer).reply(answer);
        assertThatThrownBy(() -> manager(model).updateFromMessage("alice", "many facts"))
                .isInstanceOf(MalformedModelOutputException.class).hasMessageContaining("more than 20");
        assertThat(storage.memories("alice")).isEmpty();
    }

    @Test
    void agenticTaskReachesOnlyTheGivenUser() {
        UserMemory bobs = UserMemory.create("bob", "Bob lives in Rome.", null, null);
        storage.saveMemory(bobs);
        UserMemory alices = UserMemory.create("alice", "The user lives in Oslo.", null, null);
        storage.saveMemory(alices);
        ScriptedChatModel model = new ScriptedChatModel(false).reply(req -> {
            assertThat(lastUserText(req)).contains("Forget where the user lives").doesNotContain("Rome");
            return "{\"worth_remembering\": true, \"operations\": [{\"action\": \"delete\", \"memory_id\": \""
                    + alices.memoryId() + "\"}]}";
        });
        ToolRunner tool = new ToolRunner(new UserMemoryTool(manager(model),
                SessionKeyResolver.withDefaultUser("alice")));
        java.util.UUID run = java.util.UUID.randomUUID();
        dev.langchain4j.service.tool.ToolExecutionResult done = tool.executeWithContext(
                call("{\"task\": \"Forget where the user lives\"}"),
                dev.langchain4j.invocation.InvocationContext.builder().chatMemoryId("any-session").invocationId(run)
                        .build());
        assertThat(done.isError()).isFalse();
        assertThat(done.resultText()).contains("Deleted");
        assertThat(storage.memories("alice")).isEmpty();
        assertThat(storage.memories("bob")).containsExactly(bobs);
        assertThat(storage.memoryHistory("alice", alices.memoryId())).last().satisfies(change -> {
            assertThat(change.kind()).isEqualTo(dev.agnomemory.core.MemoryChange.Kind.DELETED);
            assertThat(change.cause()).isEqualTo(dev.agnomemory.core.MemoryChangeCause.agenticTool("any-session",
                    run.toString()));
        });
        String blank = tool.execute(call("{\"task\": \" \"}"), "s");
        assertThat(blank).isEqualTo("task is required and must be a non-empty text, but was \" \". Call "
                + "update_user_memory again with task.");
    }

    private static dev.langchain4j.agent.tool.ToolExecutionRequest call(String arguments) {
        return dev.langchain4j.agent.tool.ToolExecutionRequest.builder().id("c").name("update_user_memory")
                .arguments(arguments).build();
    }

    @Test
    void builderNamesMissingParts() {
        assertThatThrownBy(() -> MemoryManager.builder().storage(storage).build()).hasMessageContaining("chatModel");
        assertThatThrownBy(() -> MemoryManager.builder().chatModel(new ScriptedChatModel(false)).build())
                .hasMessageContaining("storage");
        assertThat(List.of()).isEmpty();
    }
}
