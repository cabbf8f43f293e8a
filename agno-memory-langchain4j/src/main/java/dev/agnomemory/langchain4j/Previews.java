package dev.agnomemory.langchain4j;

/** Shortens texts that go to the model in previews and prompt blocks. */
final class Previews {

    private Previews() {
    }

    /**
     * @param text the text
     * @param max how many characters (code points) to keep
     * @return the text, or its first {@code max} characters followed by {@code "..."}; no surrogate pair is split
     */
    static String cut(String text, int max) {
        if (text.length() <= max || text.codePointCount(0, text.length()) <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max)) + "...";
    }
}
