#!/usr/bin/env node
// Committed shim so npm links the bin on install, before dist/ is built.
import "../dist/calibrate-cli.js";
