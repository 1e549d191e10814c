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
export type AttrValue = number | number[] | string | { int: number } | { ints: number[] };

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

  constructor(readonly name: string) {}

  /** A fresh value name derived from `hint`, unique in this graph. */
  unique(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** A float32 initializer; `data` is converted from float64 if needed. */
  float(name: string, data: ArrayLike<number>, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.addInit(name, DataType.FLOAT, dims, littleEndianBytes(f32));
  }

  /** A float32 scalar initializer (rank 0). */
  scalar(name: string, value: number): string {
    return this.addInit(name, DataType.FLOAT, [], littleEndianBytes(Float32Array.of(value)));
  }

  /** An int64 initializer (axes, indices). */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.addInit(name, DataType.INT64, dims, littleEndianBytes(BigInt64Array.from(values.map((v) => BigInt(v)))));
  }

  private addInit(hint: string, dataType: DataTypeCode, dims: number[], rawData: Uint8Array): string {
    const name = this.unique(hint);
    this.inits.push({ name, dims, dataType, rawData });
    return name;
  }

  /** A graph input; float32 unless told otherwise. */
  input(name: string, dims: Dim[], elemType: DataTypeCode = DataType.FLOAT): string {
    if (this.used.has(name)) throw new Error(`graph input name ${name} is taken`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** Declare `value` (an existing value name) as a graph output. */
  output(value: string, dims: Dim[], elemType: DataTypeCode = DataType.FLOAT): string {
    if (!this.used.has(value)) throw new Error(`graph output ${value} is not a value of this graph`);
    this.outputs.push(valueInfo(value, dims, elemType));
    return value;
  }

  /**
   * Add a node with one output, named `out` (exactly, e.g. a graph output name) or generated from
   * the op type. Attributes: number -> float, {int} -> int, {ints} -> ints, string -> string.
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

  // Shorthands for the ops the graphs use.
  matmul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
  add(a: string, b: string, out?: string): string {
    return this.op('Add', [a, b], {}, out);
  }
  mul(a: string, b: string, out?: string): string {
    return this.op('Mul', [a, b], {}, out);
  }
  /** x @ W + b: the dense layer of the checkpoint convention (kernels are [in, out]). */
  dense(x: string, w: string, b: string, out?: string): string {
    return this.add(this.matmul(x, w), b, out);
  }

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
