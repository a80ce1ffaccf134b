import { SaxesParser } from "saxes";

/** One XML element, reduced to what the rnndb loader reads: name, attributes, children, line. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  line: number;
}

export class XmlSyntaxError extends Error {
  readonly code = "RNNDB_XML_SYNTAX";
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/**
 * Parses an XML document into a light element tree. Text is dropped: rnndb keeps documentation in
 * <doc>/<brief>, which decoding never needs. Namespace prefixes are stripped from element names
 * because the real database declares a default namespace on <database>.
 */
export function parseXml(text: string, file: string): XmlElement {
  const parser = new SaxesParser({ position: true, fileName: file });
  const root: XmlElement = { name: "#document", attrs: {}, children: [], line: 0 };
  const stack: XmlElement[] = [root];
  let failure: string | undefined;
  parser.on("error", (err) => {
    failure ??= err.message;
  });
  parser.on("opentag", (tag) => {
    const colon = tag.name.indexOf(":");
    const el: XmlElement = {
      name: colon < 0 ? tag.name : tag.name.slice(colon + 1),
      attrs: tag.attributes as Record<string, string>,
      children: [],
      line: parser.line,
    };
    stack[stack.length - 1]!.children.push(el);
    if (!tag.isSelfClosing) stack.push(el);
  });
  parser.on("closetag", (tag) => {
    if (!tag.isSelfClosing) stack.pop();
  });
  parser.write(text).close();
  if (failure !== undefined) throw new XmlSyntaxError(file, failure);
  return root;
}
