package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.langchain4j.data.message.SystemMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The text blocks that user memories and the session summary add to the system message, in Agno's wording.
 *
 * <p>Rules:
 * <ul>
 *   <li>The blocks follow the AI service's own system message, separated by a blank line; without one, they are
 *       the system message.</li>
 *   <li>With user memories on, the memories block is always there: the retrieved memories, one per line, inside
 *       {@code <memories_from_previous_interactions>}, with a note that this conversation wins over old memories;
 *       with no memories yet, a sentence saying so.</li>
 *   <li>The summary block is added only when the session has runs older than the history window (the model would
 *       otherwise not know what happened before it), inside {@code <summary_of_previous_interactions>}.</li>
 * </ul>
 */
public final class MemoryPromptBlocks {

    static final String NO_MEMORIES = "You have the capability to retain memories from previous interactions with "
            + "the user, but have not had any interactions with the user yet.";

    private MemoryPromptBlocks() {
    }

    /**
     * The memories block.
     *
     * @param memories the memories to show, in the order given
     * @return the block's text
     */
    public static String memories(List<UserMemory> memories) {
        if (memories.isEmpty()) {
            return NO_MEMORIES;
        }
        StringBuilder out = new StringBuilder("You have access to memories from previous interactions with the "
                + "user that you can use:\n\n<memories_from_previous_interactions>\n");
        for (UserMemory m : memories) {
            out.append("- ").append(m.memory().replace('\n', ' ')).append('\n');
        }
        return out.append("</memories_from_previous_interactions>\n\nNote: this information is from previous "
                + "interactions and may be updated in this conversation. You should always prefer information from "
                + "this conversation over the past memories.").toString();
    }

    /**
     * The summary block.
     *
     * @param summary the session's summary
     * @return the block's text
     */
    public static String summary(SessionSummary summary) {
        StringBuilder out = new StringBuilder("Here is a brief summary of your previous interactions if it helps:\n\n"
                + "<summary_of_previous_interactions>\n").append(summary.summary());
        if (!summary.topics().isEmpty()) {
            out.append("\nTopics: ").append(String.join(", ", summary.topics()));
        }
        return out.append("\n</summary_of_previous_interactions>\n\nNote: this information is from previous "
                + "interactions and may be outdated. You should ALWAYS prefer information from this conversation "
                + "over the past summary.").toString();
    }

    /**
     * The system message with the blocks added.
     *
     * @param base the AI service's system message, or null
     * @param memories the memories block's memories, or null when user memories are off
     * @param summary the summary to add, or null
     * @return the system message to send, or null when there is nothing to send
     */
    static SystemMessage compose(SystemMessage base, List<UserMemory> memories, SessionSummary summary) {
        List<String> parts = new ArrayList<>();
        if (base != null) {
            parts.add(base.text());
        }
        if (memories != null) {
            parts.add(memories(memories));
        }
        if (summary != null) {
            parts.add(summary(summary));
        }
        return parts.isEmpty() ? null : SystemMessage.from(String.join("\n\n", parts));
    }
}
