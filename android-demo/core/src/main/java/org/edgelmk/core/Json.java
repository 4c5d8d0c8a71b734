package org.edgelmk.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259 plus Python's NaN / Infinity tokens), so that the core
 * needs nothing beyond the Java standard library on Android and on a desktop JVM.
 *
 * <p>Objects become {@code LinkedHashMap<String, Object>}, arrays {@code ArrayList<Object>},
 * numbers {@code Long} (integers) or {@code Double}, and {@code true/false/null} their Java values.
 */
public final class Json {
    private final String text;
    private int position;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON document; throws {@link IllegalArgumentException} naming the character offset. */
    public static Object parse(String text) {
        Json reader = new Json(text);
        reader.skipSpace();
        Object value = reader.readValue();
        reader.skipSpace();
        if (reader.position != text.length()) {
            throw reader.error("unexpected text after the JSON value");
        }
        return value;
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("invalid JSON at character " + position + ": " + message);
    }

    private void skipSpace() {
        while (position < text.length() && " \t\r\n".indexOf(text.charAt(position)) >= 0) {
            position++;
        }
    }

    private char peek() {
        if (position >= text.length()) {
            throw error("unexpected end of text");
        }
        return text.charAt(position);
    }

    private void expect(char wanted) {
        if (peek() != wanted) {
            throw error("expected '" + wanted + "', found '" + peek() + "'");
        }
        position++;
    }

    private Object readValue() {
        char next = peek();
        switch (next) {
            case '{':
                return readObject();
            case '[':
                return readArray();
            case '"':
                return readString();
            case 't':
                return readWord("true", Boolean.TRUE);
            case 'f':
                return readWord("false", Boolean.FALSE);
            case 'n':
                return readWord("null", null);
            case 'N':
                return readWord("NaN", Double.NaN);
            case 'I':
                return readWord("Infinity", Double.POSITIVE_INFINITY);
            default:
                if (next == '-' && text.startsWith("-Infinity", position)) {
                    return readWord("-Infinity", Double.NEGATIVE_INFINITY);
                }
                if (next == '-' || (next >= '0' && next <= '9')) {
                    return readNumber();
                }
                throw error("unexpected character '" + next + "'");
        }
    }

    private Object readWord(String word, Object value) {
        if (!text.startsWith(word, position)) {
            throw error("expected " + word);
        }
        position += word.length();
        return value;
    }

    private Map<String, Object> readObject() {
        Map<String, Object> object = new LinkedHashMap<String, Object>();
        expect('{');
        skipSpace();
        if (peek() == '}') {
            position++;
            return object;
        }
        while (true) {
            skipSpace();
            String key = readString();
            skipSpace();
            expect(':');
            skipSpace();
            object.put(key, readValue());
            skipSpace();
            if (peek() == ',') {
                position++;
                continue;
            }
            expect('}');
            return object;
        }
    }

    private List<Object> readArray() {
        List<Object> array = new ArrayList<Object>();
        expect('[');
        skipSpace();
        if (peek() == ']') {
            position++;
            return array;
        }
        while (true) {
            skipSpace();
            array.add(readValue());
            skipSpace();
            if (peek() == ',') {
                position++;
                continue;
            }
            expect(']');
            return array;
        }
    }

    private String readString() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = peek();
            position++;
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = peek();
            position++;
            switch (escaped) {
                case '"': case '\\': case '/':
                    out.append(escaped);
                    break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'u':
                    if (position + 4 > text.length()) {
                        throw error("truncated \\u escape");
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(position, position + 4), 16));
                    } catch (NumberFormatException e) {
                        throw error("bad \\u escape");
                    }
                    position += 4;
                    break;
                default:
                    throw error("bad escape '\\" + escaped + "'");
            }
        }
    }

    private Object readNumber() {
        int start = position;
        boolean integral = true;
        while (position < text.length() && "+-0123456789.eE".indexOf(text.charAt(position)) >= 0) {
            char c = text.charAt(position);
            integral &= c != '.' && c != 'e' && c != 'E';
            position++;
        }
        String token = text.substring(start, position);
        try {
            if (integral) {
                return Long.parseLong(token);
            }
            return Double.parseDouble(token);
        } catch (NumberFormatException e) {
            position = start;
            throw error("bad number '" + token + "'");
        }
    }
}
