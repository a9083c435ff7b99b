package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.TensorValueException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tensors as JSON array text (a string column, CSV): what parses, and how the rest is refused. */
class JsonArrayTextTest {
  @Test
  void jsonArrayTextParsing() {
    assertArrayEquals(new double[] {1e-3, -2, 0.5}, JsonArrayText.parse("[1e-3,-2, 0.5]"), 0.0);
    assertEquals(0, JsonArrayText.parse("[ ]").length);
    for (String bad : List.of("", "1,2", "[1,2", "[1,,2]", "[1,\"2\"]", "[1,2f]", "[0x10]")) {
      TensorValueException e = assertThrows(TensorValueException.class, () -> JsonArrayText.parse(bad));
      assertTrue(e.getMessage().contains("is not a JSON array of numbers"), e.getMessage());
      assertEquals(Rule.NOT_AN_ARRAY, e.rule());
      assertEquals(bad, e.value());
    }
    TensorValueException nullValue = assertThrows(TensorValueException.class, () -> JsonArrayText.parse("[1,null]"));
    assertEquals("null value at index 1", nullValue.getMessage());
    assertEquals(Rule.NULL_VALUE, nullValue.rule());
    assertEquals(1, nullValue.index());
  }
}
