package io.sparknorm.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/** {@link ShiftSet}'s JSON form. */
final class ShiftJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private ShiftJson() {}

  static String write(ShiftSet set) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      writeResult(g, set.all());
      if (!set.by().isEmpty()) {
        g.writeArrayFieldStart("by");
        for (String b : set.by()) {
          g.writeString(b);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("keys");
        for (ShiftSet.Keyed keyed : set.keys()) {
          g.writeStartObject();
          g.writeFieldName("key");
          ProfileJson.writeKey(g, keyed.key());
          g.writeBooleanField("unseen", keyed.unseen());
          if (keyed.unseen()) {
            g.writeNullField("summary");
            g.writeArrayFieldStart("channels");
            g.writeEndArray();
          } else {
            writeResult(g, keyed.result());
          }
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

  /** "summary" and "channels", inside an open object. */
  private static void writeResult(JsonGenerator g, ShiftResult result) throws IOException {
    g.writeObjectFieldStart("summary");
    g.writeNumberField("channels", result.channels().size());
    g.writeNumberField("flagged", result.flagged());
    g.writeObjectFieldStart("flags");
    for (Map.Entry<ShiftFlag, Integer> e : result.flagCounts().entrySet()) {
      g.writeNumberField(e.getKey().name(), e.getValue());
    }
    g.writeEndObject();
    ChannelShift worst = result.worst();
    if (worst == null) {
      g.writeNullField("worst");
    } else {
      g.writeFieldName("worst");
      writeChannel(g, worst);
    }
    g.writeEndObject();
    g.writeArrayFieldStart("channels");
    for (ChannelShift c : result.channels()) {
      writeChannel(g, c);
    }
    g.writeEndArray();
  }

  private static void writeChannel(JsonGenerator g, ChannelShift c) throws IOException {
    g.writeStartObject();
    g.writeNumberField("index", c.index());
    g.writeArrayFieldStart("flags");
    for (ShiftFlag f : c.flags()) {
      g.writeString(f.name());
    }
    g.writeEndArray();
    ProfileJson.writeDouble(g, "mean_shift_sd", c.meanShiftSd());
    ProfileJson.writeDouble(g, "var_ratio", c.varRatio());
    ProfileJson.writeDouble(g, "psi", c.psi());
    ProfileJson.writeDouble(g, "ks", c.ks());
    ProfileJson.writeDouble(g, "ks_error", c.ksError());
    ProfileJson.writeDouble(g, "wasserstein_sd", c.wassersteinSd());
    ProfileJson.writeDouble(g, "out_of_range", c.outOfRange());
    g.writeNumberField("modes_reference", c.modesReference().size());
    g.writeNumberField("modes_now", c.modesNow().size());
    ProfileJson.writeDouble(g, "severity", c.severity());
    g.writeFieldName("modes_lost");
    ProfileJson.writeModes(g, c.lost());
    g.writeFieldName("modes_new");
    ProfileJson.writeModes(g, c.gained());
    g.writeObjectFieldStart("explanations");
    for (Map.Entry<ShiftFlag, String> e : c.explanations().entrySet()) {
      g.writeStringField(e.getKey().name(), e.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

}
