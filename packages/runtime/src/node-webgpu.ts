import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * onnxruntime-node's WebGPU provider (Dawn) needs a Vulkan loader and a Vulkan driver. On a
 * machine without a GPU, Debian's chromium ships both: SwiftShader (a CPU Vulkan driver) and its
 * own libvulkan.so.1. Dawn looks the adapter up once per process and caches a failure, so this
 * must run before the first WebGPU session. It only fills in what the system lacks and never
 * overrides a user's VK_ICD_FILENAMES / VK_DRIVER_FILES.
 */
export const SWIFTSHADER_DIR = process.env.SNGP_SWIFTSHADER_DIR ?? '/usr/lib/chromium';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
// glibc's RTLD_NODELETE (Node does not export it): keeps the library mapped after process.dlopen
// gives up on it (it is not a Node addon), so Dawn's later dlopen("libvulkan.so.1") finds it.
const RTLD_NODELETE = 0x1000;

let prepared = false;

function hasJson(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.json'));
  } catch {
    return false;
  }
}

/** Returns what it changed (for diagnostics), or an empty list. */
export function prepareNodeWebGpu(): string[] {
  if (prepared || process.platform !== 'linux') return [];
  prepared = true;
  const done: string[] = [];
  const icd = join(SWIFTSHADER_DIR, 'vk_swiftshader_icd.json');
  const env = process.env;
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && !ICD_DIRS.some(hasJson) && existsSync(icd)) {
    env.VK_ICD_FILENAMES = icd;
    done.push(`VK_ICD_FILENAMES=${icd}`);
  }
  const libDirs = [...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean), ...LIB_DIRS];
  const loader = join(SWIFTSHADER_DIR, 'libvulkan.so.1');
  if (!libDirs.some((d) => existsSync(join(d, 'libvulkan.so.1'))) && existsSync(loader)) {
    const { RTLD_NOW, RTLD_GLOBAL } = constants.dlopen as Record<string, number>;
    try {
      process.dlopen({ exports: {} }, loader, (RTLD_NOW ?? 2) | (RTLD_GLOBAL ?? 256) | RTLD_NODELETE);
    } catch {
      // Expected: "Module did not self-register". The library stays loaded (RTLD_NODELETE).
    }
    done.push(`preloaded ${loader}`);
  }
  return done;
}
