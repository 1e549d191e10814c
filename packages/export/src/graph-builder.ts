import {
  AttributeType,
  DataType,
  type AttributeProto,
  type DataTypeCode,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-schema.js';

/** A tensor dimension: a fixed size, or a symbolic name (dynamic, e.g. 'N'). */
export type Dim = number | string;
/**
 * A node attribute value: a number is a FLOAT, a number[] FLOATS, a string a STRING, `{ int }` an
 * INT and `{ ints }` INTS (integers must be marked: JS numbers do not say which they are).
 */
export type AttrValue =
  | number
  | number[]
  | string
  | {
      /** An INT attribute. */
      int: number;
    }
  | {
      /** An INTS attribute. */
      ints: number[];
    };

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  // Typed arrays are little-endian on every platform we run on; copy so the buffer is exact.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/**
 * A small ONNX graph builder: initializers, nodes with unique generated names, and typed
 * inputs/outputs with symbolic dimensions. Every method returns the name(s) of the values it
 * creates, so graphs read like the math they implement.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  /**
   * An empty graph.
   * @param name - the graph's name.
   */
  constructor(
    /** The graph's name (GraphProto.name). */
    readonly name: string,
  ) {}

  /**
   * A fresh value name derived from `hint`, unique in this graph (and reserved).
   * @param hint - the preferred name; `_1`, `_2`, ... is appended when it is taken.
   * @returns the name.
   */
  unique(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /**
   * A float32 initializer; `data` is converted from float64 if needed.
   * @param name - the preferred value name (made unique).
   * @param data - the values, row-major.
   * @param dims - the shape.
   * @returns the initializer's value name.
   * @throws Error if `data` does not have the shape's size.
   */
  float(name: string, data: ArrayLike<number>, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.addInit(name, DataType.FLOAT, dims, littleEndianBytes(f32));
  }

  /**
   * A float32 scalar initializer (rank 0).
   * @param name - the preferred value name (made unique).
   * @param value - the scalar.
   * @returns the initializer's value name.
   */
  scalar(name: string, value: number): string {
    return this.addInit(name, DataType.FLOAT, [], littleEndianBytes(Float32Array.of(value)));
  }

  /**
   * An int64 initializer (axes, indices).
   * @param name - the preferred value name (made unique).
   * @param values - the integers.
   * @param dims - the shape (default: a vector of `values.length`).
   * @returns the initializer's value name.
   */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.addInit(name, DataType.INT64, dims, littleEndianBytes(BigInt64Array.from(values.map((v) => BigInt(v)))));
  }

  private addInit(hint: string, dataType: DataTypeCode, dims: number[], rawData: Uint8Array): string {
    const name = this.unique(hint);
    this.inits.push({ name, dims, dataType, rawData });
    return name;
  }

  /**
   * A graph input; float32 unless told otherwise.
   * @param name - the input name, exactly (e.g. `features`).
   * @param dims - its shape; strings are dynamic dimensions.
   * @param elemType - element type (default float32).
   * @returns `name`.
   * @throws Error if the name is taken.
   */
  input(name: string, dims: Dim[], elemType: DataTypeCode = DataType.FLOAT): string {
    if (this.used.has(name)) throw new Error(`graph input name ${name} is taken`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /**
   * Declare `value` (an existing value name) as a graph output.
   * @param value - the value to output (its name is the output's name).
   * @param dims - its shape; strings are dynamic dimensions.
   * @param elemType - element type (default float32).
   * @returns `value`.
   * @throws Error if `value` is not a value of this graph.
   */
  output(value: string, dims: Dim[], elemType: DataTypeCode = DataType.FLOAT): string {
    if (!this.used.has(value)) throw new Error(`graph output ${value} is not a value of this graph`);
    this.outputs.push(valueInfo(value, dims, elemType));
    return value;
  }

  /**
   * Add a node with one output, named `out` (exactly, e.g. a graph output name) or generated from
   * the op type. Attributes: number -> float, {int} -> int, {ints} -> ints, string -> string.
   * @param opType - the ONNX operator, e.g. "Softmax".
   * @param inputs - input value names ("" for an omitted optional input).
   * @param attrs - attributes by name: a number is FLOAT, a number[] FLOATS, a string STRING,
   *   `{ int }` INT, `{ ints }` INTS.
   * @param out - the output name, exactly; default: generated from the op type.
   * @returns the output's value name.
   * @throws Error for an unknown input or a taken output name.
   */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    for (const i of inputs) if (i !== '' && !this.used.has(i)) throw new Error(`${opType}: unknown input value ${i}`);
    let output: string;
    if (out !== undefined) {
      if (this.used.has(out)) throw new Error(`${opType}: output name ${out} is taken`);
      this.used.add(out);
      output = out;
    } else {
      output = this.unique(opType.toLowerCase());
    }
    const attribute = Object.entries(attrs).map(([name, v]) => attribute_(name, v));
    this.nodes.push({
      name: this.unique(`${opType}_node`),
      opType,
      input: inputs,
      output: [output],
      ...(attribute.length ? { attribute } : {}),
    });
    return output;
  }

  /**
   * Split `x` along `axis` into consecutive pieces of the given sizes (one Split node, opset 13+
   * form with the sizes as an int64 input).
   * @param x - the value to split.
   * @param sizes - the size of each piece along `axis` (they must add up to its length).
   * @param axis - the axis.
   * @returns the pieces' value names, in order.
   * @throws Error for an unknown input.
   */
  split(x: string, sizes: number[], axis: number): string[] {
    if (!this.used.has(x)) throw new Error(`Split: unknown input value ${x}`);
    const outputs = sizes.map(() => this.unique('split'));
    this.nodes.push({
      name: this.unique('Split_node'),
      opType: 'Split',
      input: [x, this.int64('split_sizes', sizes)],
      output: outputs,
      attribute: [attribute_('axis', { int: axis })],
    });
    return outputs;
  }

  // Shorthands for the ops the graphs use.
  /**
   * a @ b (MatMul).
   * @param a - left operand.
   * @param b - right operand.
   * @returns the product's value name.
   */
  matmul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
  /**
   * a + b (Add, broadcasting).
   * @param a - left operand.
   * @param b - right operand.
   * @param out - the output name, exactly (default: generated).
   * @returns the sum's value name.
   */
  add(a: string, b: string, out?: string): string {
    return this.op('Add', [a, b], {}, out);
  }
  /**
   * a * b elementwise (Mul, broadcasting).
   * @param a - left operand.
   * @param b - right operand.
   * @param out - the output name, exactly (default: generated).
   * @returns the product's value name.
   */
  mul(a: string, b: string, out?: string): string {
    return this.op('Mul', [a, b], {}, out);
  }
  /**
   * x @ W + b: the dense layer of the checkpoint convention (kernels are [in, out]).
   * @param x - input [N, in].
   * @param w - kernel [in, out].
   * @param b - bias [out].
   * @param out - the output name, exactly (default: generated).
   * @returns the layer output's value name.
   */
  dense(x: string, w: string, b: string, out?: string): string {
    return this.add(this.matmul(x, w), b, out);
  }

  /**
   * The finished graph (the builder's own arrays, not copies).
   * @param docString - optional description.
   * @returns the graph.
   */
  build(docString?: string): GraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.inits,
      input: this.inputs,
      output: this.outputs,
      ...(docString ? { docString } : {}),
    };
  }
}

function valueInfo(name: string, dims: Dim[], elemType: number): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute_(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return { name, type: AttributeType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.FLOATS, floats: v };
  if ('int' in v) return { name, type: AttributeType.INT, i: v.int };
  return { name, type: AttributeType.INTS, ints: v.ints };
}
