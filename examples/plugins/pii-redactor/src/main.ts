#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { PiiRedactor } from './pii-redactor.js'

await serve(new PiiRedactor())
