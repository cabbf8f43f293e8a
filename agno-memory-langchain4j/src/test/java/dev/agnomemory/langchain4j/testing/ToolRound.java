package dev.agnomemory.langchain4j.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** One AI service call in which the scripted model calls tools once, then answers {@value #ANSWER}. */
public final class ToolRound {

    /** The model's answer after the tool results. */
    public static final String ANSWER = "done";

    private ToolRound() {
    }

    /**
     * @param server the scripted server
     * @param call makes the AI service call and returns its answer
     * @param calls the tool calls the model makes
     * @return the tool results sent back to the model, in the order of {@code calls}
     */
    public static List<String> results(ScriptedOpenAiServer server, Supplier<String> call, ToolCallSpec... calls) {
        server.replyToolCalls(calls);
        server.replyText(ANSWER);
        assertThat(call.get()).isEqualTo(ANSWER);
        List<RecordedMessage> results = server.lastRequest().messages("tool");
        List<RecordedMessage> ofThisCall = results.subList(results.size() - calls.length, results.size());
        assertThat(ofThisCall).extracting(RecordedMessage::toolCallId)
                .containsExactly(Stream.of(calls).map(ToolCallSpec::id).toArray(String[]::new));
        return ofThisCall.stream().map(RecordedMessage::content).toList();
    }
}
