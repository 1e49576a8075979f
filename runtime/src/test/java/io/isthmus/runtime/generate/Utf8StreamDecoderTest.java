package io.isthmus.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void wholeTokensPassStraightThrough() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("Hello", decoder.push(utf8("Hello")));
        assertEquals(", wörld", decoder.push(utf8(", wörld")));
        assertEquals("", decoder.flush());
    }

    @Test
    void twoByteCharacterSplitAcrossPieces() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("caf", decoder.push(bytes('c', 'a', 'f', 0xC3)));
        assertEquals("é!", decoder.push(bytes(0xA9, '!')));
    }

    @Test
    void threeByteCharactersByteByByte() {
        byte[] all = utf8("日本");
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < all.length; i++) {
            String out = decoder.push(new byte[] {all[i]});
            assertEquals(i == 2 ? "日" : i == 5 ? "本" : "", out, "after byte " + i);
            text.append(out);
        }
        assertEquals("日本", text.toString());
    }

    @Test
    void emojiSplitIntoFourPieces() {
        byte[] emoji = utf8("🦙");
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("a", decoder.push(bytes('a', emoji[0] & 0xFF)));
        assertEquals("", decoder.push(bytes(emoji[1] & 0xFF)));
        assertEquals("", decoder.push(bytes(emoji[2] & 0xFF)));
        assertEquals("🦙b", decoder.push(bytes(emoji[3] & 0xFF, 'b')));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("a\uFFFDb", decoder.push(bytes('a', 0xFF, 'b')));
        // A lead byte followed by a non-continuation byte: the lead is replaced, the rest kept.
        assertEquals("\uFFFDx", decoder.push(bytes(0xE6, 'x')));
        assertEquals("\uFFFD", decoder.push(bytes(0x80)));
    }

    @Test
    void flushReplacesAnIncompleteTailAndResets() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("ok", decoder.push(bytes('o', 'k', 0xE6, 0x97)));
        assertEquals("\uFFFD", decoder.flush());
        assertEquals("é", decoder.push(utf8("é")));
        assertEquals("", decoder.flush());
    }

    @Test
    void longPiecesGrowTheBuffer() {
        String text = "ü".repeat(1000) + "🦙";
        byte[] all = utf8(text);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        String first = decoder.push(java.util.Arrays.copyOf(all, all.length - 1));
        String second = decoder.push(new byte[] {all[all.length - 1]});
        assertEquals("ü".repeat(1000), first);
        assertEquals("🦙", second);
    }
}
