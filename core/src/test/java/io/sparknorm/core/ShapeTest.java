package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShapeTest {

  @Test
  void parsesChannelsFirstShapes() {
    Shape image = Shape.parse("3,32,32");
    assertEquals(3, image.channels());
    assertEquals(1024, image.spatialSize());
    assertEquals(3072, image.size());
    assertEquals(3, image.rank());
    assertArrayEquals(new int[] {3, 32, 32}, image.dims());
    assertEquals("(3,32,32)", image.toString());
  }

  @Test
  void tabularShapeHasSpatialSizeOne() {
    Shape tabular = Shape.parse("64");
    assertEquals(64, tabular.channels());
    assertEquals(1, tabular.spatialSize());
    assertEquals(64, tabular.size());
    assertEquals("(64,)", tabular.toString());
  }

  @Test
  void acceptsSpacesParenthesesAndBrackets() {
    assertEquals(Shape.of(2, 5), Shape.parse(" ( 2, 5 ) "));
    assertEquals(Shape.of(2, 5), Shape.parse("[2,5]"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "()", "3,", ",3", "3,,4", "a", "3,x", "1.5"})
  void rejectsMalformedText(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.parse(text));
    assertTrue(e.getMessage().startsWith("shape"), e.getMessage());
  }

  @Test
  void rejectsZeroAndNegativeDimensionsNamingThem() {
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Shape.parse("3,0,4"));
    assertEquals("shape (3,0,4): dimension 1 is 0, every dimension must be positive", zero.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> Shape.of(-2));
    assertTrue(negative.getMessage().contains("dimension 0 is -2"), negative.getMessage());
  }

  @Test
  void rejectsSamplesTooLargeForOneArray() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.parse("65536,65536"));
    assertTrue(e.getMessage().contains("does not fit in one array"), e.getMessage());
  }

  @Test
  void checkLengthNamesBothLengths() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).checkLength(5));
    assertEquals("tensor of length 5 does not match shape (2,3) (6 elements)", e.getMessage());
    Shape.of(2, 3).checkLength(6);
  }
}
