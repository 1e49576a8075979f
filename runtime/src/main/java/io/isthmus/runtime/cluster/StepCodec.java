package io.isthmus.runtime.cluster;

import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.KvShape;
import io.isthmus.runtime.model.Transformer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The wire form of a {@link Step}: a frame of {@link #FRAME_BYTES} bytes, always the whole frame,
 * because a broadcast moves the same number of bytes on every rank and a follower cannot know a
 * step's size before it has it. One frame per step keeps a decode step at one collective.
 *
 * <pre>
 * offset  size  field
 *  0      4     magic "ISTP"
 *  4      4     body length in bytes
 *  8      1     kind (Step.Kind ordinal)
 *  9      1     flags: bit 0 = all logits
 * 10      1     KV cache type ordinal + 1 (0 = none)
 * 11      1     0
 * 12      8     sequence id
 * 20      4     position
 * 24      4     capacity (NEW_SEQUENCE)
 * 28      4     beams (NEW_SEQUENCE)
 * 32      4     shared positions (NEW_SEQUENCE)
 * 36      4     CRC-32C of bytes 0..36 and of the body
 * 40      ...   body: PREFILL/DECODE token ids, 4 bytes each; BATCH rows of 20 bytes each:
 *               sequence (8), position (4), token (4), beam (2), parent (2)
 * </pre>
 * Little-endian. Bytes after the body are ignored.
 */
public final class StepCodec {
    /**
     * Tokens per step: the largest prefill batch a model asks for ({@link Transformer#prefillBatch()}
     * with oneDNN), so a prompt never needs more than one step per batch.
     */
    public static final int MAX_TOKENS = 512;
    /** Rows per BATCH step: the most sequences (or beams) one batched decode step runs. */
    public static final int MAX_ROWS = 64;
    static final int MAGIC = 0x50545349; // "ISTP" read little-endian
    static final int CRC_AT = 36;
    static final int HEADER_BYTES = 40;
    static final int ROW_BYTES = 20;
    public static final int FRAME_BYTES = HEADER_BYTES + Math.max(4 * MAX_TOKENS, ROW_BYTES * MAX_ROWS);
    private static final Step.Kind[] KINDS = Step.Kind.values();
    private static final KvCacheType[] CACHE_TYPES = KvCacheType.values();

    private StepCodec() {
    }

    /** Writes {@code step} into frame[0, FRAME_BYTES). */
    public static void encode(Step step, byte[] frame) {
        ByteBuffer b = frame(frame);
        int[] tokens = step.tokens();
        int bodyBytes = step.kind() == Step.Kind.BATCH ? ROW_BYTES * step.rows().size() : 4 * tokens.length;
        KvShape shape = step.shape();
        b.putInt(MAGIC).putInt(bodyBytes)
                .put((byte) step.kind().ordinal())
                .put((byte) (step.allLogits() ? 1 : 0))
                .put((byte) (step.cacheType() == null ? 0 : step.cacheType().ordinal() + 1))
                .put((byte) 0)
                .putLong(step.sequence()).putInt(step.position())
                .putInt(shape == null ? 0 : shape.capacity())
                .putInt(shape == null ? 0 : shape.beams())
                .putInt(shape == null ? 0 : shape.sharedPositions());
        b.position(HEADER_BYTES);
        for (int t : tokens) {
            b.putInt(t);
        }
        for (Step.Row r : step.rows()) {
            b.putLong(r.sequence()).putInt(r.position()).putInt(r.token())
                    .putShort((short) r.beam()).putShort((short) r.parent());
        }
        b.putInt(CRC_AT, checksum(frame, bodyBytes));
    }

    /** Reads the step in frame[0, FRAME_BYTES); throws {@link IllegalArgumentException} naming what is wrong. */
    public static Step decode(byte[] frame) {
        ByteBuffer b = frame(frame);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw corrupt("magic " + Integer.toHexString(magic) + " instead of " + Integer.toHexString(MAGIC));
        }
        int bodyBytes = b.getInt();
        if (bodyBytes < 0 || bodyBytes > FRAME_BYTES - HEADER_BYTES || bodyBytes % 4 != 0) {
            throw corrupt("body length " + bodyBytes + " (at most " + (FRAME_BYTES - HEADER_BYTES) + ", a multiple of 4)");
        }
        int crc = b.getInt(CRC_AT);
        int expected = checksum(frame, bodyBytes);
        if (crc != expected) {
            throw corrupt("checksum " + Integer.toHexString(crc) + " instead of " + Integer.toHexString(expected));
        }
        int kindId = b.get() & 0xff;
        int flags = b.get() & 0xff;
        int cacheType = b.get() & 0xff;
        b.get();
        if (kindId >= KINDS.length || flags > 1 || cacheType > CACHE_TYPES.length) {
            throw corrupt("kind " + kindId + ", flags " + flags + ", cache type " + cacheType);
        }
        Step.Kind kind = KINDS[kindId];
        long sequence = b.getLong();
        int position = b.getInt();
        int capacity = b.getInt();
        int beams = b.getInt();
        int shared = b.getInt();
        b.position(HEADER_BYTES);
        try {
            if (kind == Step.Kind.BATCH) {
                if (bodyBytes % ROW_BYTES != 0) {
                    throw corrupt("BATCH body of " + bodyBytes + " bytes, not rows of " + ROW_BYTES);
                }
                List<Step.Row> rows = new ArrayList<>(bodyBytes / ROW_BYTES);
                for (int i = 0; i < bodyBytes / ROW_BYTES; i++) {
                    long seq = b.getLong();
                    int pos = b.getInt();
                    int token = b.getInt();
                    int beam = Short.toUnsignedInt(b.getShort());
                    rows.add(new Step.Row(seq, beam, Short.toUnsignedInt(b.getShort()), pos, token));
                }
                return Step.batch(rows);
            }
            int[] tokens = new int[bodyBytes / 4];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = b.getInt();
            }
            KvShape shape = kind == Step.Kind.NEW_SEQUENCE && capacity > 0 ? new KvShape(capacity, beams, shared) : null;
            return new Step(kind, sequence, position, tokens, flags == 1,
                    cacheType == 0 ? null : CACHE_TYPES[cacheType - 1], shape, List.of());
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("corrupt") ? e : corrupt(e.getMessage());
        }
    }

    private static ByteBuffer frame(byte[] frame) {
        if (frame.length < FRAME_BYTES) {
            throw new IllegalArgumentException("a step frame needs " + FRAME_BYTES + " bytes, got " + frame.length);
        }
        return ByteBuffer.wrap(frame, 0, FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int checksum(byte[] frame, int bodyBytes) {
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, CRC_AT);
        crc.update(frame, HEADER_BYTES, bodyBytes);
        return (int) crc.getValue();
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("corrupt step frame: " + what);
    }
}
