#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { LlmValidator } from './llm-validator.js'

await serve(new LlmValidator())
