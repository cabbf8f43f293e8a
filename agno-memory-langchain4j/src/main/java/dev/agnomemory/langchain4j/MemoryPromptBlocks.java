package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.search.IndexedMessage;
import java.util.List;

/**
 * The texts of the blocks that user memories, the session summary and the session state add to the system
 * message, in Agno's wording. When each block is added is {@link SystemPromptComposer}'s rule.
 */
final class MemoryPromptBlocks {

    static final String NO_MEMORIES = "You have the capability to retain memories from previous interactions with "
            + "the user, but have not had any interactions with the user yet.";

    private MemoryPromptBlocks() {
    }

    /** The memories block: the memories to show, in the order given. */
    static String memories(List<UserMemory> memories) {
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

    /** The summary block of the session's summary. */
    static String summary(SessionSummary summary) {
        StringBuilder out = new StringBuilder("Here is a brief summary of your previous interactions if it helps:\n\n"
                + "<summary_of_previous_interactions>\n").append(summary.summary());
        if (!summary.topics().isEmpty()) {
            out.append("\nTopics: ").append(String.join(", ", summary.topics()));
        }
        return out.append("\n</summary_of_previous_interactions>\n\nNote: this information is from previous "
                + "interactions and may be outdated. You should ALWAYS prefer information from this conversation "
                + "over the past summary.").toString();
    }

    /** How much of each past message the related-messages block shows. */
    static final int RELATED_MESSAGE_CHARACTERS = 500;
    private static final String RELATED_END = "</related_past_messages>";

    /**
     * The related-messages block: one line per message, best first, with its time, session and role; each text on
     * one line, cut to {@value #RELATED_MESSAGE_CHARACTERS} characters. A text cannot close the block early: the
     * closing tag inside it is broken up.
     */
    static String relatedPastMessages(List<IndexedMessage> messages) {
        StringBuilder out = new StringBuilder("Here are messages from your previous conversations with the user "
                + "that may relate to the current message, most related first:\n\n<related_past_messages>\n");
        for (IndexedMessage m : messages) {
            out.append("- [").append(m.createdAt()).append(", session ").append(oneLine(m.sessionId())).append("] ")
                    .append(SearchConversationsTool.role(m.role())).append(": ")
                    .append(oneLine(Previews.cut(m.text(), RELATED_MESSAGE_CHARACTERS))).append('\n');
        }
        return out.append(RELATED_END).append("\n\nNote: these messages are from other conversations and may be "
                + "outdated. You should always prefer information from this conversation over them.").toString();
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s*[\\r\\n\\u2028\\u2029]+\\s*", " ")
                .replace(RELATED_END, "</ related_past_messages>");
    }

    /** The session state block: the state's JSON as stored. */
    static String sessionState(String state) {
        return "<session_state>\n" + state + "\n</session_state>";
    }
}
