#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { FileAnalytics } from './file-analytics.js'

await serve(new FileAnalytics())
