package dev.vlm3d.deploy;

import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;

/** The facts of pom.xml that the images, the chart and the workflows must agree with. */
record MavenProject(String version, String finalName, String javaVersion, String pytorchVersion) {

    static MavenProject read() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document pom = factory.newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        XPath xpath = XPathFactory.newInstance().newXPath();
        return new MavenProject(
                xpath.evaluate("/project/version", pom).trim(),
                xpath.evaluate("/project/build/finalName", pom).trim(),
                xpath.evaluate("/project/properties/java.version", pom).trim(),
                xpath.evaluate("/project/properties/pytorch.version", pom).trim());
    }

    String jarPath() {
        return "target/" + finalName + ".jar";
    }
}
