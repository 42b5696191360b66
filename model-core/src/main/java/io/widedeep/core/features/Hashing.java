package io.widedeep.core.features;

/**
 * 64-bit hashing of feature values without allocation. Strings are hashed char by char (FNV-1a,
 * then a murmur3 finaliser for avalanche); keys of fields and crosses are mixed from value hashes.
 * The functions are part of the model's format: changing them invalidates every saved model.
 */
public final class Hashing {
    private Hashing() {}

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    public static long string(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            h = (h ^ (c & 0xff)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        return fmix(h ^ s.length());
    }

    /** Murmur3's 64-bit finaliser. */
    public static long fmix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    /** Order-dependent combination of two hashes. */
    public static long mix(long a, long b) {
        return fmix(a * 0x9E3779B97F4A7C15L + Long.rotateLeft(b, 31) + 0x632BE59BD9B4E019L);
    }
}
