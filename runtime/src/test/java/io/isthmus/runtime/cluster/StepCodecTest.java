package io.isthmus.runtime.cluster;

import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.KvShape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class StepCodecTest {

    private static byte[] encoded(Step s) {
        byte[] frame = new byte[StepCodec.FRAME_BYTES];
        StepCodec.encode(s, frame);
        return frame;
    }

    @Test
    void everyKindRoundTrips() {
        int[] full = IntStream.range(0, StepCodec.MAX_TOKENS).map(i -> i * 1000 + 7).toArray();
        for (Step s : List.of(
                Step.newSequence(0, KvCacheType.F32, 1),
                Step.newSequence(Long.MAX_VALUE, KvCacheType.BF16, 131072),
                Step.forward(3, 0, new int[] {1, 403, 407}, false),
                Step.forward(3, 5, full, true),
                Step.forward(9, 4095, new int[] {Integer.MAX_VALUE}, false),
                Step.newSequence(4, KvCacheType.F32, KvShape.beams(17, 4, 49)),
                Step.batch(List.of(new Step.Row(4, 0, 0, 17, 5), new Step.Row(4, 1, 3, 17, 6),
                        new Step.Row(Long.MAX_VALUE, 0xffff, 0xffff, 1 << 20, Integer.MAX_VALUE))),
                Step.batch(IntStream.range(0, StepCodec.MAX_ROWS).mapToObj(i -> new Step.Row(i, 0, 0, i, i)).toList()),
                Step.release(4),
                Step.shutdown(),
                Step.keepAlive())) {
            assertEquals(s, StepCodec.decode(encoded(s)), s.toString());
        }
        assertEquals(Step.Kind.DECODE, Step.forward(1, 2, new int[] {5}, false).kind());
        assertEquals(Step.Kind.PREFILL, Step.forward(1, 2, new int[] {5, 6}, false).kind());
    }

    @Test
    void aFrameIsSmallAndBytesAfterTheBodyDoNotMatter() {
        assertEquals(40 + 4 * 512, StepCodec.FRAME_BYTES); // a prefill step of 512 tokens at most (a batch step of 64 rows is less)
        byte[] frame = encoded(Step.forward(1, 0, new int[] {1, 2}, false));
        frame[StepCodec.FRAME_BYTES - 1] = 42; // stale bytes of a longer earlier step
        assertArrayEquals(new int[] {1, 2}, StepCodec.decode(frame).tokens());
    }

    @Test
    void stepsOutsideTheProtocolCannotBeBuilt() {
        int[] tooMany = new int[StepCodec.MAX_TOKENS + 1];
        assertThrows(IllegalArgumentException.class, () -> Step.forward(0, 0, tooMany, false));
        assertThrows(IllegalArgumentException.class, () -> Step.forward(0, 0, new int[0], false));
        assertThrows(IllegalArgumentException.class, () -> Step.forward(0, -1, new int[] {1}, false));
        assertThrows(IllegalArgumentException.class, () -> Step.newSequence(0, KvCacheType.F32, 0));
        assertThrows(IllegalArgumentException.class, () -> Step.newSequence(0, null, 8));
        assertThrows(IllegalArgumentException.class, () -> Step.batch(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Step.batch(
                IntStream.range(0, StepCodec.MAX_ROWS + 1).mapToObj(i -> new Step.Row(i, 0, 0, i, i)).toList()));
        assertThrows(IllegalArgumentException.class, () -> new Step.Row(1, 1 << 16, 0, 0, 0));
    }

    @Test
    void corruptFramesAreRejectedWithTheReason() {
        byte[] good = encoded(Step.forward(7, 3, new int[] {11, 12, 13}, false));

        byte[] magic = good.clone();
        magic[0] ^= 1;
        assertMessage("magic", magic);

        byte[] body = good.clone();
        body[StepCodec.HEADER_BYTES + 5] ^= 0x10; // a flipped token bit
        assertMessage("checksum", body);

        byte[] header = good.clone();
        header[20] ^= 1; // position
        assertMessage("checksum", header);

        byte[] length = good.clone();
        length[4] = (byte) 0xff; // body length 255 + ...: beyond the frame
        assertMessage("body length", length);

        assertMessage("all zero", new byte[StepCodec.FRAME_BYTES], "magic");

        // a consistent checksum over nonsense: an unknown kind, a NEW_SEQUENCE with tokens
        assertMessage("kind", resealed(good, 8, (byte) 17));
        assertMessage("NEW_SEQUENCE with 3 tokens", resealed(good, 8, (byte) Step.Kind.NEW_SEQUENCE.ordinal()));
        assertMessage("cache type", resealed(encoded(Step.newSequence(1, KvCacheType.F32, 8)), 10, (byte) 9));
        assertMessage("BATCH body", resealed(good, 8, (byte) Step.Kind.BATCH.ordinal()));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StepCodec.decode(new byte[StepCodec.FRAME_BYTES - 1]));
        assertTrue(e.getMessage().contains("needs " + StepCodec.FRAME_BYTES), e.getMessage());
    }

    /** {@code frame} with one header byte changed and the checksum recomputed, as a buggy sender would write it. */
    private static byte[] resealed(byte[] frame, int at, byte value) {
        byte[] f = frame.clone();
        f[at] = value;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(f, 0, StepCodec.CRC_AT);
        int body = java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4);
        crc.update(f, StepCodec.HEADER_BYTES, body);
        java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(StepCodec.CRC_AT, (int) crc.getValue());
        return f;
    }

    private static void assertMessage(String what, byte[] frame) {
        assertMessage(what, frame, what);
    }

    private static void assertMessage(String what, byte[] frame, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepCodec.decode(frame), what);
        assertTrue(e.getMessage().startsWith("corrupt step frame") && e.getMessage().contains(expected),
                what + ": " + e.getMessage());
    }
}
