package dev.vlm3d.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteRangeTest {

    @ParameterizedTest(name = "[{index}] ''{0}'' of 3000 bytes -> {1} {2}-{3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "bytes=0-99|PARTIAL|0|99",
                "bytes=1000-|PARTIAL|1000|2999",
                "bytes=-10|PARTIAL|2990|2999",
                "bytes=-99999999999999999999|PARTIAL|0|2999",
                "bytes=0-99999999999999999999|PARTIAL|0|2999",
                "bytes=2999-2999|PARTIAL|2999|2999",
                "BYTES = 5-6|PARTIAL|5|6",
                "bytes=99999999999999999999-|UNSATISFIABLE|0|0",
                "bytes=18446744073709551616-18446744073709551617|UNSATISFIABLE|0|0",
                "bytes=3000-|UNSATISFIABLE|0|0",
                "bytes=-0|UNSATISFIABLE|0|0",
                "bytes=5-1|IGNORED|0|0",
                "bytes=abc|IGNORED|0|0",
                "items=0-1|IGNORED|0|0",
                "bytes=0-1,2-3|IGNORED|0|0",
                "bytes=--1|IGNORED|0|0",
                "bytes=|IGNORED|0|0",
                "bytes=-|IGNORED|0|0",
                "=0-1|IGNORED|0|0",
                "bytes=+1-2|IGNORED|0|0",
                "bytes=1 -2|IGNORED|0|0",
                "bytes=0-0-0|IGNORED|0|0"
            })
    void readsRangesPerRfc9110(String header, ByteRange.Kind kind, long start, long end) {
        ByteRange range = ByteRange.parse(header, 3000);
        assertThat(range.kind()).isEqualTo(kind);
        if (kind == ByteRange.Kind.PARTIAL) {
            assertThat(range.start()).isEqualTo(start);
            assertThat(range.end()).isEqualTo(end);
        }
    }

    @ParameterizedTest
    @CsvSource({"bytes=0-", "bytes=-5", "bytes=0-0"})
    void nothingOfAnEmptyRepresentationCanBeServed(String header) {
        assertThat(ByteRange.parse(header, 0).kind()).isEqualTo(ByteRange.Kind.UNSATISFIABLE);
    }
}
