package io.isthmus.runtime.onednn;

import io.isthmus.runtime.config.FormatSpec;

final class Int8FormatSpec {
    static final FormatSpec INT8 = FormatSpec.parse("int8");

    private Int8FormatSpec() {
    }
}
