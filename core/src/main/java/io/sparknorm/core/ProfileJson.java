package io.sparknorm.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/** {@link ProfileSet}'s JSON form: writing and reading, with the reader's refusals. */
final class ProfileJson {
  static final String FORMAT = "sparknorm-profile";
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ProfileJson() {}

  static String write(ProfileSet set) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      StatisticsProfile all = set.all();
      g.writeStartObject();
      g.writeStringField("format", FORMAT);
      g.writeNumberField("version", ProfileSet.VERSION);
      g.writeArrayFieldStart("shape");
      for (int d : all.shape().dims()) {
        g.writeNumber(d);
      }
      g.writeEndArray();
      g.writeNumberField("k", all.k());
      writeProfile(g, all);
      if (!set.by().isEmpty()) {
        g.writeArrayFieldStart("by");
        for (String b : set.by()) {
          g.writeString(b);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("keys");
        for (ProfileSet.Keyed keyed : set.keys()) {
          g.writeStartObject();
          g.writeFieldName("key");
          writeKey(g, keyed.key());
          writeProfile(g, keyed.profile());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** "moments" and "channels" of one profile, inside an open object. */
  private static void writeProfile(JsonGenerator g, StatisticsProfile p) throws IOException {
    g.writeStringField("moments", p.exactMoments() ? "exact" : "sketch");
    g.writeArrayFieldStart("channels");
    for (ChannelProfile c : p.channels()) {
      g.writeStartObject();
      g.writeNumberField("index", c.index());
      g.writeNumberField("count", c.count());
      g.writeNumberField("finite", c.finite());
      g.writeNumberField("nans", c.nans());
      g.writeNumberField("infinities", c.infinities());
      g.writeNumberField("zeros", c.zeros());
      writeDouble(g, "mean", c.mean());
      writeDouble(g, "var", c.var());
      writeDouble(g, "min", c.min());
      writeDouble(g, "max", c.max());
      writeDouble(g, "kurtosis", c.kurtosis());
      g.writeFieldName("modes");
      writeModes(g, c.modes());
      g.writeStringField("kll", Base64.getEncoder().encodeToString(c.sketch().toByteArray()));
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  static void writeModes(JsonGenerator g, List<Mode> modes) throws IOException {
    g.writeStartArray();
    for (Mode m : modes) {
      g.writeStartObject();
      writeDouble(g, "location", m.location());
      writeDouble(g, "lo", m.lo());
      writeDouble(g, "hi", m.hi());
      writeDouble(g, "mass", m.mass());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** A double that reads back to the same bits; NaN and infinities as the strings "NaN", "Infinity", "-Infinity". */
  static void writeDouble(JsonGenerator g, String name, double x) throws IOException {
    g.writeFieldName(name);
    if (Double.isFinite(x)) {
      g.writeNumber(x);
    } else {
      g.writeString(Double.toString(x));
    }
  }

  /** A key's values: strings, integers as numbers, doubles (non-finite ones as strings), booleans, null. */
  static void writeKey(JsonGenerator g, List<Object> key) throws IOException {
    g.writeStartArray();
    for (Object v : key) {
      if (v == null) {
        g.writeNull();
      } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
        g.writeNumber(((Number) v).longValue());
      } else if (v instanceof Double || v instanceof Float) {
        double d = ((Number) v).doubleValue();
        if (Double.isFinite(d)) {
          g.writeNumber(d);
        } else {
          g.writeString(Double.toString(d));
        }
      } else if (v instanceof Boolean b) {
        g.writeBoolean(b);
      } else {
        g.writeString(v.toString());
      }
    }
    g.writeEndArray();
  }

  static ProfileSet read(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ProfileFormatException("profile: not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ProfileFormatException("profile: not a JSON object");
    }
    JsonNode format = root.get("format");
    if (format == null || !FORMAT.equals(format.asText(null))) {
      throw new ProfileFormatException("profile: \"format\" is " + (format == null ? "missing" : format)
          + ", expected \"" + FORMAT + "\"");
    }
    JsonNode version = root.get("version");
    if (version == null || !version.canConvertToInt() || !version.isIntegralNumber()) {
      throw new ProfileFormatException("profile: \"version\" is " + (version == null ? "missing" : version)
          + ", expected a whole number");
    }
    if (version.asInt() > ProfileSet.VERSION) {
      throw new ProfileFormatException("profile: version " + version.asInt() + " is newer than this reader's "
          + ProfileSet.VERSION + "; use a newer sparknorm");
    }
    JsonNode shapeNode = field(root, "shape", "the profile");
    if (!shapeNode.isArray() || shapeNode.isEmpty()) {
      throw new ProfileFormatException("profile: \"shape\" is " + shapeNode + ", expected a list of dimensions");
    }
    int[] dims = new int[shapeNode.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToInt()) {
        throw new ProfileFormatException("profile: \"shape\" is " + shapeNode + ", expected whole numbers");
      }
      dims[i] = d.asInt();
    }
    Shape shape;
    try {
      shape = Shape.of(dims);
    } catch (IllegalArgumentException e) {
      throw new ProfileFormatException("profile: \"shape\" " + shapeNode + " is not a shape: " + e.getMessage(), e);
    }
    int k = (int) longField(root, "k", "the profile");
    StatisticsProfile all = readProfile(root, shape, k, "the profile");
    List<String> by = new ArrayList<>();
    List<ProfileSet.Keyed> keys = new ArrayList<>();
    JsonNode byNode = root.get("by");
    if (byNode != null && !byNode.isNull()) {
      if (!byNode.isArray()) {
        throw new ProfileFormatException("profile: \"by\" is " + byNode + ", expected a list of column names");
      }
      byNode.forEach(b -> by.add(b.asText()));
      JsonNode keysNode = field(root, "keys", "the profile with \"by\"");
      if (!keysNode.isArray()) {
        throw new ProfileFormatException("profile: \"keys\" is not a list");
      }
      for (int i = 0; i < keysNode.size(); i++) {
        JsonNode entry = keysNode.get(i);
        String where = "key " + i;
        JsonNode keyNode = field(entry, "key", where);
        if (!keyNode.isArray() || keyNode.size() != by.size()) {
          throw new ProfileFormatException("profile: " + where + "'s \"key\" is " + keyNode + ", expected "
              + by.size() + " values (one per \"by\" column)");
        }
        List<Object> key = new ArrayList<>();
        keyNode.forEach(v -> key.add(keyValue(v)));
        keys.add(new ProfileSet.Keyed(key, readProfile(entry, shape, k, "key " + keyNode)));
      }
    }
    return new ProfileSet(by, all, keys);
  }

  private static Object keyValue(JsonNode v) {
    if (v.isNull()) {
      return null;
    } else if (v.isIntegralNumber()) {
      return v.asLong();
    } else if (v.isNumber()) {
      return v.asDouble();
    } else if (v.isBoolean()) {
      return v.asBoolean();
    }
    return v.asText();
  }

  private static StatisticsProfile readProfile(JsonNode node, Shape shape, int k, String where) {
    String moments = field(node, "moments", where).asText();
    if (!moments.equals("exact") && !moments.equals("sketch")) {
      throw new ProfileFormatException(
          "profile: " + where + "'s \"moments\" is \"" + moments + "\", expected \"exact\" or \"sketch\"");
    }
    JsonNode channelsNode = field(node, "channels", where);
    if (!channelsNode.isArray() || channelsNode.size() != shape.channels()) {
      throw new ProfileFormatException("profile: " + where + " has " + (channelsNode.isArray()
          ? channelsNode.size() + " channels" : "no list of channels") + ", the shape " + shape + " has "
          + shape.channels());
    }
    List<ChannelProfile> channels = new ArrayList<>(shape.channels());
    for (int c = 0; c < shape.channels(); c++) {
      channels.add(readChannel(channelsNode.get(c), c, where));
    }
    return new StatisticsProfile(shape, k, moments.equals("exact"), channels);
  }

  private static ChannelProfile readChannel(JsonNode n, int c, String where) {
    String at = where.equals("the profile") ? "channel " + c : where + ", channel " + c;
    long index = longField(n, "index", at);
    if (index != c) {
      throw new ProfileFormatException("profile: " + at + " has \"index\" " + index + ", expected " + c);
    }
    List<Mode> modes = new ArrayList<>();
    JsonNode modesNode = field(n, "modes", at);
    if (!modesNode.isArray()) {
      throw new ProfileFormatException("profile: " + at + "'s \"modes\" is not a list");
    }
    for (JsonNode m : modesNode) {
      modes.add(new Mode(doubleField(m, "location", at + "'s mode"), doubleField(m, "lo", at + "'s mode"),
          doubleField(m, "hi", at + "'s mode"), doubleField(m, "mass", at + "'s mode")));
    }
    JsonNode kurtosis = n.get("kurtosis");
    return new ChannelProfile(c, longField(n, "count", at), longField(n, "finite", at), longField(n, "nans", at),
        longField(n, "infinities", at), longField(n, "zeros", at), doubleField(n, "mean", at),
        doubleField(n, "var", at), doubleField(n, "min", at), doubleField(n, "max", at), modes, sketch(n, at),
        kurtosis == null ? Double.NaN : doubleField(n, "kurtosis", at));
  }

  private static KllDoublesSketch sketch(JsonNode n, String at) {
    JsonNode kll = field(n, "kll", at);
    try {
      return KllDoublesSketch.heapify(Memory.wrap(Base64.getDecoder().decode(kll.asText())));
    } catch (RuntimeException e) {
      throw new ProfileFormatException("profile: " + at + "'s \"kll\" is not a KLL sketch in base64: " + e.getMessage(),
          e);
    }
  }

  private static JsonNode field(JsonNode n, String name, String where) {
    JsonNode v = n == null ? null : n.get(name);
    if (v == null || v.isNull()) {
      throw new ProfileFormatException("profile: " + where + " lacks \"" + name + "\"");
    }
    return v;
  }

  private static long longField(JsonNode n, String name, String where) {
    JsonNode v = field(n, name, where);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new ProfileFormatException("profile: " + where + "'s \"" + name + "\" is " + v + ", expected a whole number");
    }
    return v.asLong();
  }

  private static double doubleField(JsonNode n, String name, String where) {
    JsonNode v = field(n, name, where);
    if (v.isNumber()) {
      return v.asDouble();
    }
    switch (v.asText()) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        throw new ProfileFormatException("profile: " + where + "'s \"" + name + "\" is " + v + ", expected a number");
    }
  }
}
